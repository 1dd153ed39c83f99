package dev.shoal.transport;

/**
 * What {@link LinkProbe} measured between two endpoints.
 *
 * @param latencyMicros            median round-trip time of a small ping-pong, in microseconds (one-way latency is
 *                                 about half, on a symmetric link)
 * @param bandwidthBytesPerSecond  one-way throughput of a run of large messages, bytes per second, from the first
 *                                 send to the receiver's acknowledgement of the last
 */
public record LinkMeasurement(double latencyMicros, double bandwidthBytesPerSecond) {

    @Override
    public String toString() {
        return String.format("LinkMeasurement[rtt p50 %.1f µs, %.1f MB/s]", latencyMicros,
                bandwidthBytesPerSecond / 1e6);
    }
}
