package dev.shoal.transport;

/**
 * When this JVM's data plane last did anything: the threads that wait inside a step (collectives, hand-offs, the
 * step feed, link probes and their responder) mark it whenever they begin to wait or find work, and the node's own
 * media driver reads it to know that the node is at rest ({@link RestingIdleStrategy}). The driver cannot tell by
 * itself: its duty cycle always finds a little periodic work (a heartbeat per publication every 100 ms, status
 * messages), which kept a backing-off driver parking at most 100 µs at a time — 10–11 % of a core on a node
 * serving nothing (measured: 200–220 of a node's 300 CPU ticks in 20 idle seconds).
 */
final class DataPlaneActivity {

    private static volatile long lastNs = System.nanoTime();

    private DataPlaneActivity() {
    }

    static void mark(final long nowNs) {
        lastNs = nowNs;
    }

    /** Nanoseconds since the last mark (since class initialization, i.e. the first driver or data-plane thread). */
    static long quietNs(final long nowNs) {
        return nowNs - lastNs;
    }
}
