package dev.shoal.sharding;

/**
 * A measured link between two nodes: round-trip latency of a small message and sustained throughput of a large one.
 * The measure is a round trip, so a link is the same in both directions.
 */
public record Link(long latencyMicros, long bytesPerSecond) {

    public Link {
        if (latencyMicros < 0 || bytesPerSecond < 0) {
            throw new IllegalArgumentException("link latency " + latencyMicros + " µs and bandwidth "
                    + bytesPerSecond + " B/s must not be negative");
        }
    }

    /**
     * Whether tensor parallelism may span this link. A tensor-parallel step does two all-reduces per layer, so it waits
     * on the link's latency some 2 × layers times per token and moves a residual-sized partial sum each time; both the
     * latency and the bandwidth must clear their thresholds.
     */
    public boolean isFast(PlannerSettings settings) {
        return latencyMicros <= settings.fastLatencyMicros() && bytesPerSecond >= settings.fastBytesPerSecond();
    }
}
