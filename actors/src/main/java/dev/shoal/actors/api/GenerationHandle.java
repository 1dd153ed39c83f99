package dev.shoal.actors.api;

/** Cancels a generation (the client went away); the listener then gets {@code onComplete} with CANCELLED. */
@FunctionalInterface
public interface GenerationHandle {
    void cancel();
}
