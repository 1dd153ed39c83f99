package dev.shoal.transport;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * How a waiting data-plane thread (media driver or caller) idles. Never busy-spin: on 2 cores with two drivers and
 * two callers, spinning pushed a 16 KiB round trip from 60 µs to 6.6 ms (STACK.md §4, P12).
 */
public enum IdleMode {

    /**
     * Spin a little, yield a little, then park from 1 µs doubling up to 100 µs. The park ceiling trades idle CPU
     * against the wake-up cost after the forward pass computed for a while: over UDP both drivers' threads must
     * wake, and a 16 KiB all-reduce after a 1 ms pause took p50 ≈ 160 µs with a 100 µs ceiling, ≈ 240 µs with
     * 250 µs (yielding: ≈ 25 µs). At rest, two connected drivers used 33 / 23 / 14 / 8 % of a core with ceilings
     * of 50 µs / 100 µs / 250 µs / 1 ms (measured on the 2-core test machine, see AllReduceLatencyCheck). A
     * node's own driver in this mode rests once the node is quiet ({@link #newNodeDriverStrategy()}).
     */
    BACKOFF,

    /**
     * {@link Thread#yield()} between duty cycles: lowest latency on a small machine (STACK.md §4), but every
     * thread at rest shows as a busy core (two drivers: 200 % of a core). For benchmarks and dedicated nodes.
     */
    YIELDING,

    /**
     * {@link #YIELDING} for {@value #BUSY_WINDOW_MS} ms after the last work, then {@link #BACKOFF}: during a decode
     * the data plane exchanges data every few milliseconds and waits at yielding's latency; at rest it parks.
     */
    ADAPTIVE,

    /**
     * Park {@value #SLEEP_MS} ms whenever a duty cycle found nothing to do, never spin or yield. Only for a media
     * driver that is off the data path: a host's shared driver whose nodes exchange data over {@code aeron:ipc}
     * (publishers write straight into the log buffers subscribers read), where the driver merely keeps clients,
     * publisher limits and heartbeats going. A spinning or yielding driver there takes time from the compute
     * threads on the same cores: tensor ×2 over IPC went from 1.52–1.53× to 1.70–1.77× one node with this mode
     * (docs/BENCHMARKS.md). Over UDP it would add up to a millisecond to every message.
     *
     * <p>10 ms, not 1: each wake-up pre-empts one rank's compute thread, and in the lockstep the other rank waits
     * for it. On the 2-core Zen 3 machine a 1 ms driver took 2.8 % of a core during a tensor ×2 decode, and 10 ms
     * parks raised the two nodes from 12.4–13.0 to 12.7–16.2 tok/s (four alternating pairs, medians 12.8 → 14.4).
     * The publisher limits the driver advances then move every 10 ms: IPC publications may run half a term (2 MiB,
     * {@link EmbeddedDriver#TERM_LENGTH}) ahead of their readers, which a decode step (33 exchanges of 8 KiB per
     * token) never nears; a 32-token prompt chunk sends 256 KiB per exchange.
     */
    SLEEPING;

    private static final long BUSY_WINDOW_MS = 20;
    private static final long SLEEP_MS = 10;

    private static final long MAX_SPINS = 20;
    private static final long MAX_YIELDS = 50;
    private static final long MIN_PARK_NS = 1_000;
    private static final long MAX_PARK_NS = 100_000;

    /** After this long without data-plane work in its JVM, a node's own driver rests. */
    static final long REST_AFTER_MS = 1000;
    /** A resting driver's park. */
    static final long REST_PARK_MS = 2;

    /**
     * A new strategy instance for a thread that waits inside a step (or answers link probes); strategies keep
     * per-thread state, so every thread needs its own. Backing-off and adaptive ones mark {@link DataPlaneActivity}.
     */
    public IdleStrategy newStrategy() {
        return switch (this) {
            case BACKOFF -> new ActivityMarkingIdleStrategy(
                    new BackoffIdleStrategy(MAX_SPINS, MAX_YIELDS, MIN_PARK_NS, MAX_PARK_NS));
            case YIELDING -> new YieldingIdleStrategy();
            case ADAPTIVE -> new ActivityMarkingIdleStrategy(new BusyWindowIdleStrategy(BUSY_WINDOW_MS * 1_000_000,
                    new BackoffIdleStrategy(MAX_SPINS, MAX_YIELDS, MIN_PARK_NS, MAX_PARK_NS)));
            case SLEEPING -> new SleepingIdleStrategy(SLEEP_MS * 1_000_000);
        };
    }

    /**
     * The strategy of a media driver that runs inside a node: {@link #BACKOFF} rests ({@link RestingIdleStrategy},
     * {@value #REST_PARK_MS} ms parks) once the node's data plane has been quiet for {@value #REST_AFTER_MS} ms; the
     * other modes idle as {@link #newStrategy()} does.
     */
    public IdleStrategy newNodeDriverStrategy() {
        return this == BACKOFF
                ? new RestingIdleStrategy(new BackoffIdleStrategy(MAX_SPINS, MAX_YIELDS, MIN_PARK_NS, MAX_PARK_NS),
                REST_AFTER_MS * 1_000_000, REST_PARK_MS * 1_000_000)
                : newStrategy();
    }
}
