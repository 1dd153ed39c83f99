package dev.shoal.tensor.model;

/**
 * A forward pass a scheduler can drive one batch at a time: on one node the whole model ({@link SliceModel}), in a
 * cluster the supervisor's end of a model spread over several nodes (the other nodes' slices run the same step,
 * their KV caches kept there under the sequence's cache handle).
 *
 * <p>One thread calls a step model. A sequence gets its cache from {@link #newCache}, passes it with every token
 * and gives it back with {@link #release} when it ends, so that a distributed model can reuse the sequence slot on
 * every node.
 */
public interface StepModel {

    /** The most tokens one {@link #forward} takes. */
    int maxBatch();

    /** The cache of one new sequence of at most {@code capacity} positions. */
    KvCache newCache(int capacity);

    /** The sequence that used {@code cache} has ended; its cache (and slot) may be reused. */
    default void release(KvCache cache) {
    }

    /**
     * Runs {@code count} tokens: token {@code tokens[b]} at {@code positions[b]} of the sequence whose cache is
     * {@code caches[b]}; afterwards {@link #logits(int)} holds row {@code b}'s logits where {@code wantLogits[b]}.
     *
     * @throws RuntimeException when the step cannot complete (a peer of a distributed model is gone); the state
     *                          of every cache passed in is then undefined
     */
    void forward(int count, int[] tokens, int[] positions, KvCache[] caches, boolean[] wantLogits);

    /** The logits of batch row {@code b} after a {@link #forward} that wanted them (a buffer the next step reuses). */
    float[] logits(int b);
}
