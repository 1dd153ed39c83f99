package dev.shoal.sharding;

/**
 * The planner's tunables.
 *
 * @param overheadBytes      memory every participating node needs beyond weights and KV cache: activation buffers,
 *                           logits, the worker pool, JVM slack. Counted once per node, which is why a pipeline over
 *                           more nodes needs more memory in all
 * @param fastLatencyMicros  a link at most this slow (round trip) may carry tensor parallelism
 * @param fastBytesPerSecond a link at least this fast may carry tensor parallelism
 * @param minHeadroomGain    how much more free memory (as a fraction of the tightest node's free memory) a new plan
 *                           must leave before {@link PlanDiff} moves a running model for headroom alone; moving
 *                           reloads weights, so a small gain is not worth it
 */
public record PlannerSettings(long overheadBytes, long fastLatencyMicros, long fastBytesPerSecond,
                              double minHeadroomGain) {

    /** 256 MiB overhead; "fast" is Thunderbolt or 10 GbE class (≤ 250 µs, ≥ 1 GB/s); 5 % headroom to move. */
    public static final PlannerSettings DEFAULTS = new PlannerSettings(256L << 20, 250, 1_000_000_000L, 0.05);

    public PlannerSettings {
        if (overheadBytes < 0 || fastLatencyMicros < 0 || fastBytesPerSecond < 0) {
            throw new IllegalArgumentException("overhead " + overheadBytes + " B, fast latency " + fastLatencyMicros
                    + " µs and fast bandwidth " + fastBytesPerSecond + " B/s must not be negative");
        }
        if (!(minHeadroomGain >= 0 && minHeadroomGain <= 1)) {
            throw new IllegalArgumentException("minimum headroom gain must be in [0, 1], got " + minHeadroomGain);
        }
    }

    public PlannerSettings withOverheadBytes(long bytes) {
        return new PlannerSettings(bytes, fastLatencyMicros, fastBytesPerSecond, minHeadroomGain);
    }

    public PlannerSettings withFastLink(long latencyMicros, long bytesPerSecond) {
        return new PlannerSettings(overheadBytes, latencyMicros, bytesPerSecond, minHeadroomGain);
    }
}
