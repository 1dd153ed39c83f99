package dev.shoal.transport;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Yields while work came recently, backs off (and parks) once a quiet window has passed: a node in the middle of
 * decoding exchanges data every few milliseconds and gets yielding's latency (a waiting thread hands its core
 * straight to the driver or the compute thread), a node at rest parks like {@link IdleMode#BACKOFF} and costs a few
 * percent of a core. Not thread-safe: one instance per thread, as every Agrona strategy.
 */
final class BusyWindowIdleStrategy implements IdleStrategy {

    private final long windowNs;
    private final BackoffIdleStrategy backoff;
    private long lastWorkNs = System.nanoTime();

    BusyWindowIdleStrategy(final long windowNs, final BackoffIdleStrategy backoff) {
        this.windowNs = windowNs;
        this.backoff = backoff;
    }

    @Override
    public void idle(final int workCount) {
        if (workCount > 0) {
            lastWorkNs = System.nanoTime();
            backoff.reset();
            return;
        }
        idle();
    }

    @Override
    public void idle() {
        if (System.nanoTime() - lastWorkNs < windowNs) {
            Thread.yield();
        } else {
            backoff.idle();
        }
    }

    @Override
    public void reset() {
        // a caller starting to wait (a new exchange) is busy by definition
        lastWorkNs = System.nanoTime();
        backoff.reset();
    }

    @Override
    public String alias() {
        return "busy-window";
    }
}
