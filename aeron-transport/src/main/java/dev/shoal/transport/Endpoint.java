package dev.shoal.transport;

import java.util.Objects;

/**
 * Where a node listens for data-plane messages: the Aeron channel and stream a peer publishes to and the owner
 * subscribes on. Peers on other hosts use {@link Udp}; ranks that share one media driver may use {@link Ipc},
 * which skips the network stack and copies through shared memory only once.
 *
 * <p>Channel parameters follow the measurements in STACK.md §4: UDP with a 32 KiB MTU, a 2 MiB receiver window and
 * 2 MiB socket buffers (10× the throughput of Aeron's defaults for tensor-sized messages), IPC with 4 MiB terms
 * (the default 64 KiB IPC term caps a message at 8 KiB). Both use 4 MiB terms, which caps one Aeron message at
 * 512 KiB — tensor messages are cut into MTU-sized frames anyway ({@link TensorFrameDescriptor}).
 */
public sealed interface Endpoint {

    /** The Aeron channel URI that both the publishing peer and the subscribing owner use. */
    String channel();

    /** Aeron stream id; several services (collective, stage link, probe) share an endpoint on different streams. */
    int streamId();

    /** Same endpoint, other stream. */
    Endpoint withStream(int streamId);

    /** Tuning appended to every UDP channel (STACK.md §4 table, {@code mtu=32k} row). */
    String UDP_TUNING = "|mtu=32k|term-length=4m|rcv-wnd=2m|so-rcvbuf=2m|so-sndbuf=2m";

    /** Tuning appended to every IPC channel (STACK.md P11). */
    String IPC_TUNING = "?term-length=4m|mtu=32k";

    /** A UDP unicast endpoint: the owner binds {@code host:port}, peers send to it. */
    record Udp(String host, int port, int streamId) implements Endpoint {
        public Udp {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("UDP port out of range: port=" + port);
            }
        }

        /** Parses {@code host:port}. */
        public static Udp parse(final String hostAndPort, final int streamId) {
            final int colon = hostAndPort.lastIndexOf(':');
            if (colon <= 0 || colon == hostAndPort.length() - 1) {
                throw new IllegalArgumentException("expected host:port, got " + hostAndPort);
            }
            return new Udp(hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)),
                    streamId);
        }

        @Override
        public String channel() {
            return "aeron:udp?endpoint=" + host + ":" + port + UDP_TUNING;
        }

        @Override
        public Udp withStream(final int streamId) {
            return new Udp(host, port, streamId);
        }

        @Override
        public String toString() {
            return "udp://" + host + ":" + port + "/" + streamId;
        }
    }

    /** Shared memory on one media driver; the stream id alone tells listeners apart. */
    record Ipc(int streamId) implements Endpoint {
        @Override
        public String channel() {
            return "aeron:ipc" + IPC_TUNING;
        }

        @Override
        public Ipc withStream(final int streamId) {
            return new Ipc(streamId);
        }

        @Override
        public String toString() {
            return "ipc/" + streamId;
        }
    }
}
