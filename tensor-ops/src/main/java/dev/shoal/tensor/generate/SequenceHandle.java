package dev.shoal.tensor.generate;

/** Cancels a submitted sequence; it leaves the batch before the next step. Safe from any thread, idempotent. */
@FunctionalInterface
public interface SequenceHandle {
    void cancel();
}
