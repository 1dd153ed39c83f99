package dev.shoal.transport;

import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;

/**
 * A node's media driver: idles with {@code active} while the node's data plane worked within {@code restAfterNs}
 * ({@link DataPlaneActivity}), else parks {@code restParkNs} at a time, whatever periodic work (heartbeats, status
 * messages) the driver's own duty cycle finds. At rest that is a few hundred wake-ups a second instead of
 * thousands; the price is that the first frames of a request after a quiet second wait up to one rest park in
 * each driver they pass (the callers mark activity as they begin to wait, so the driver is active again within one
 * park).
 */
final class RestingIdleStrategy implements IdleStrategy {

    private final IdleStrategy active;
    private final long restAfterNs;
    private final long restParkNs;

    RestingIdleStrategy(final IdleStrategy active, final long restAfterNs, final long restParkNs) {
        this.active = active;
        this.restAfterNs = restAfterNs;
        this.restParkNs = restParkNs;
    }

    @Override
    public void idle(final int workCount) {
        if (workCount > 0) {
            active.reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (DataPlaneActivity.quietNs(System.nanoTime()) > restAfterNs) {
            LockSupport.parkNanos(restParkNs);
        } else {
            active.idle();
        }
    }

    @Override
    public void reset() {
        active.reset();
    }

    @Override
    public String alias() {
        return "resting-" + active.alias();
    }
}
