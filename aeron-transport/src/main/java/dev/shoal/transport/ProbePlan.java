package dev.shoal.transport;

/**
 * How much a {@link LinkProbe} sends.
 *
 * @param warmupPings        round trips discarded before measuring (JIT, connection, page faults)
 * @param pings              measured round trips; the latency is their median
 * @param pingBytes          bytes of one ping (at least the 16-byte header, at most one MTU payload)
 * @param streamMessages     messages of the one-way bandwidth run
 * @param streamMessageBytes bytes of one such message (64 KiB by default: tensor-sized, above the MTU)
 */
public record ProbePlan(int warmupPings, int pings, int pingBytes, int streamMessages, int streamMessageBytes) {

    /** 200 + 2000 pings of 64 bytes, 1000 messages of 64 KiB (64 MiB). */
    public static final ProbePlan DEFAULT = new ProbePlan(200, 2000, 64, 1000, 64 * 1024);

    public ProbePlan {
        if (warmupPings < 0 || pings < 1 || streamMessages < 1) {
            throw new IllegalArgumentException("probe counts out of range: warmupPings=" + warmupPings + ", pings="
                    + pings + ", streamMessages=" + streamMessages);
        }
        if (pingBytes < ProbeDescriptor.HEADER_LENGTH || streamMessageBytes < ProbeDescriptor.HEADER_LENGTH) {
            throw new IllegalArgumentException("probe messages must hold the " + ProbeDescriptor.HEADER_LENGTH
                    + "-byte header: pingBytes=" + pingBytes + ", streamMessageBytes=" + streamMessageBytes);
        }
    }
}
