package dev.shoal.actors;

import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.tensor.generate.SequenceHandle;

/**
 * The handle {@code submit} returns at once, before the request is admitted: a cancel that arrives before the
 * engine's handle is attached is remembered and applied on attach (the scheduler then ends the sequence as
 * CANCELLED without running it). Safe from any thread; cancelling twice is harmless.
 */
final class PendingHandle implements GenerationHandle {

    private SequenceHandle engine;
    private boolean cancelled;

    @Override
    public void cancel() {
        SequenceHandle h;
        synchronized (this) {
            cancelled = true;
            h = engine;
        }
        if (h != null) {
            h.cancel();
        }
    }

    void attach(SequenceHandle h) {
        boolean cancelNow;
        synchronized (this) {
            engine = h;
            cancelNow = cancelled;
        }
        if (cancelNow) {
            h.cancel();
        }
    }

    synchronized boolean cancelled() {
        return cancelled;
    }
}
