package dev.shoal.transport;

import org.agrona.concurrent.IdleStrategy;

/** A data-plane caller's idle strategy that tells {@link DataPlaneActivity} when it starts waiting or gets work. */
final class ActivityMarkingIdleStrategy implements IdleStrategy {

    private final IdleStrategy inner;

    ActivityMarkingIdleStrategy(final IdleStrategy inner) {
        this.inner = inner;
    }

    @Override
    public void idle(final int workCount) {
        if (workCount > 0) {
            DataPlaneActivity.mark(System.nanoTime());
        }
        inner.idle(workCount);
    }

    @Override
    public void idle() {
        inner.idle();
    }

    @Override
    public void reset() {
        DataPlaneActivity.mark(System.nanoTime());
        inner.reset();
    }

    @Override
    public String alias() {
        return inner.alias();
    }
}
