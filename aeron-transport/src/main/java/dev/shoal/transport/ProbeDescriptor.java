package dev.shoal.transport;

/**
 * Layout of the {@link LinkProbe} messages. A probe sends {@code PING}s (echoed as {@code PONG}s with the same
 * sequence and length), then a one-way run of {@code DATA} messages followed by {@code DONE}; the responder answers
 * {@code DONE} with an {@code ACK} carrying the bytes and messages it received.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      Message type (32)                        |
 *  +---------------------------------------------------------------+
 *  |            Count (32): ACK = DATA messages received           |
 *  +---------------------------------------------------------------+
 *  |       Sequence (64): PING/PONG = ping number, DONE = run       |
 *  |       number, ACK = bytes of DATA received in that run        |
 *  +---------------------------------------------------------------+
 *  |                  Payload (any bytes, ignored)                ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Little-endian. DATA messages are larger than the MTU: they are sent with {@code offer()} (Aeron fragments them)
 * and reassembled by a {@code FragmentAssembler} on the responder.
 */
final class ProbeDescriptor {

    static final int TYPE_PING = 1;
    static final int TYPE_PONG = 2;
    static final int TYPE_DATA = 3;
    static final int TYPE_DONE = 4;
    static final int TYPE_ACK = 5;

    static final int TYPE_OFFSET = 0;
    static final int COUNT_OFFSET = 4;
    static final int SEQUENCE_OFFSET = 8;

    /** Bytes of the header, the smallest probe message. */
    static final int HEADER_LENGTH = 16;

    private ProbeDescriptor() {
    }
}
