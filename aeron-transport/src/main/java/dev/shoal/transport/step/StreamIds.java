package dev.shoal.transport.step;

/**
 * The Aeron stream ids of the step plane:
 *
 * <pre>
 *   streamId = BASE + instance × (PURPOSES × MAX_POSITIONS) + purpose × MAX_POSITIONS + listening position
 *            = 1_048_576 + instance × 256 + purpose × 64 + position
 * </pre>
 *
 * Every stream is named by the position that subscribes to it, so two streams of one instance never share an id
 * (on a node holding several positions they even share a port), and instances are kept apart by their number.
 * The base leaves ids below 2^20 to other services on the same data port (link probes, tests). With
 * {@link #MAX_INSTANCES} the largest id is 1_048_576 + 999_999 × 256 + 255 ≈ 257 million, well inside a positive
 * int; the map (instance, purpose, position) → id is one-to-one by construction (mixed radix), which
 * {@code StreamIdsTest} also checks exhaustively for the first 1000 instances.
 */
public final class StreamIds {

    /** Lowest step-plane stream id (2^20). */
    public static final int BASE = 1 << 20;

    /** Positions (stage × rank) one instance may have. */
    public static final int MAX_POSITIONS = 64;

    /** Instance numbers run {@code 0 .. MAX_INSTANCES - 1}. */
    public static final int MAX_INSTANCES = 1_000_000;

    private static final int INSTANCE_STRIDE = StreamPurpose.COUNT * MAX_POSITIONS;

    private StreamIds() {
    }

    /** The stream on which {@code position} of {@code instance} listens for {@code purpose}. */
    public static int of(final int instance, final StreamPurpose purpose, final int position) {
        checkInstance(instance);
        if (position < 0 || position >= MAX_POSITIONS) {
            throw new IllegalArgumentException("position out of range 0.." + (MAX_POSITIONS - 1) + ": position="
                    + position);
        }
        return BASE + instance * INSTANCE_STRIDE + purpose.code() * MAX_POSITIONS + position;
    }

    static void checkInstance(final int instance) {
        if (instance < 0 || instance >= MAX_INSTANCES) {
            throw new IllegalArgumentException("instance number out of range 0.." + (MAX_INSTANCES - 1)
                    + ": instance=" + instance);
        }
    }
}
