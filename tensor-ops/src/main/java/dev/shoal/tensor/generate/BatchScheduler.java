package dev.shoal.tensor.generate;

/**
 * Continuous batching over one {@link LocalModel}: an engine thread runs decode steps in which one pass over the
 * weights serves every active sequence; between steps, waiting sequences join (their prompts prefilled) and
 * finished or cancelled ones leave.
 *
 * <p>Contract: {@link #submit} validates synchronously (prompt longer than the context →
 * {@link IllegalArgumentException}; {@code maxQueue} requests already waiting → {@link QueueFullException}) and
 * returns at once; events then follow on {@link SequenceListener}. {@link #close} cancels everything and stops the
 * thread.
 */
public final class BatchScheduler implements AutoCloseable {

    public BatchScheduler(LocalModel model, int maxBatch, int maxQueue) {
        throw new UnsupportedOperationException("under construction");
    }

    public SequenceHandle submit(SequenceRequest request, SequenceListener listener) {
        throw new UnsupportedOperationException("under construction");
    }

    /** Sequences in the running batch now. */
    public int active() {
        return 0;
    }

    /** Sequences waiting to join. */
    public int queued() {
        return 0;
    }

    @Override
    public void close() {
    }
}
