package dev.shoal.transport.step;

import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StepModel;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.transport.PeerUnavailableException;
import dev.shoal.transport.TransportSettings;
import io.aeron.Aeron;
import java.time.Duration;
import org.agrona.CloseHelper;

/**
 * The supervisor's end of a model spread over several positions: a {@link StepModel} a
 * {@code BatchScheduler} drives like a local model. It holds position 0 (stage 0, rank 0) of the
 * {@link InstanceWiring}; every other position runs a {@link ShardRuntime}.
 *
 * <p><b>One step</b> ({@link #forward}): check the rows, fill the {@link StepDescriptor} (each row's sequence
 * slot and cache capacity), publish it to every other position, run position 0's slice (its all-reduces and its
 * hand-off to stage 1 included), then — with several stages — receive each wanted row's logits (a whole
 * vocabulary of floats, one message per row) from the last stage's rank 0; with one stage the tensor group's
 * gather has already put the full logits here.
 *
 * <p><b>Slots.</b> {@link #newCache} gives a sequence a free slot {@code 0 .. maxBatch - 1} and position 0's cache
 * for it; the descriptor names the slot so every position uses its own cache for the same sequence;
 * {@link #release} frees the slot. Caches stay with their slot for later sequences (see {@link SlotCaches}).
 *
 * <p><b>Failure.</b> A peer silent for the peer timeout surfaces as {@link PeerUnavailableException} out of
 * {@link #forward} — never a hang; the model is then broken: the other positions are told to stop (best effort)
 * and every later forward throws at once. One thread drives the model; the methods that touch its state are
 * synchronized, so {@link #close()} from another thread waits for a step in progress (up to the peer timeout).
 */
public final class DistributedStepModel implements StepModel, AutoCloseable {

    /** How long a stop descriptor may wait on back pressure when the model closes or breaks. */
    private static final long STOP_WAIT_NS = 200_000_000;

    private final InstanceWiring wiring;
    private final PositionModel plane;
    private final StepFeedPublisher feed;
    private final StepDescriptor descriptor;
    private final SlotCaches slots;
    private final TransportSettings settings;
    /** Rows per step ({@link LocalModel#rowsFor}), at least the slots. */
    private final int rows;
    private final int vocab;
    private final float[][] logits; // [rows][vocab] with several stages, a row made when it first wants logits; empty with one

    private long sequence;
    private RuntimeException failure;
    private boolean closed;

    /**
     * @param aeron   a client of this node's media driver (not closed here)
     * @param weights position 0's slice, loaded (and compacted) by the caller, who owns their memory
     * @param pool    the forward pass's worker threads (not closed here)
     * @param maxBatch the sequence slots; a step may carry more rows than that ({@link LocalModel#rowsFor}: prompt chunks)
     */
    public DistributedStepModel(final Aeron aeron, final InstanceWiring wiring, final SliceWeights weights,
                                final WorkerPool pool, final int maxContext, final int maxBatch,
                                final TransportSettings settings) {
        this.rows = LocalModel.rowsFor(maxBatch);
        this.wiring = wiring;
        this.settings = settings;
        this.vocab = weights.config().vocabSize();
        this.descriptor = new StepDescriptor(rows);
        this.plane = new PositionModel(aeron, wiring, 0, weights, pool, maxContext, rows, settings);
        try {
            this.feed = new StepFeedPublisher(aeron, wiring, rows, settings);
        } catch (final RuntimeException e) {
            plane.close();
            throw e;
        }
        this.slots = new SlotCaches(plane.model, maxBatch);
        this.logits = new float[wiring.stageCount() > 1 ? rows : 0][];
    }

    public InstanceWiring wiring() {
        return wiring;
    }

    /** Position 0's forward pass. */
    public SliceModel model() {
        return plane.model;
    }

    /** Steps published so far. */
    public synchronized long steps() {
        return sequence;
    }

    /** Sequence slots taken now. */
    public synchronized int slotsInUse() {
        return slots.inUse();
    }

    /** True once a step failed: every later forward throws. */
    public synchronized boolean isBroken() {
        return failure != null;
    }

    /**
     * Waits until every other position's feed subscription receives this model's descriptors, and position 0's
     * tensor group and links are connected.
     *
     * @throws PeerUnavailableException naming what is missing at the deadline
     */
    public synchronized void awaitConnected(final Duration timeout) {
        checkUsable();
        plane.awaitConnected(timeout, () -> {
            final int p = feed.firstUnconnected();
            return p < 0 ? null : new PositionModel.Gap("step feed to position " + p + " at " + wiring.stepFeed(p),
                    wiring.stepFeed(p));
        }, settings.idle().newStrategy());
    }

    @Override
    public int maxBatch() {
        return rows;
    }

    /** Position 0's cache for a new sequence, in a free slot. */
    @Override
    public synchronized KvCache newCache(final int capacity) {
        if (closed) {
            throw new IllegalStateException("distributed model closed: instance " + wiring.instance());
        }
        return slots.cache(slots.acquire(capacity));
    }

    @Override
    public synchronized void release(final KvCache cache) {
        slots.release(cache);
    }

    @Override
    public synchronized void forward(final int count, final int[] tokens, final int[] positions,
                                     final KvCache[] caches, final boolean[] wantLogits) {
        checkUsable();
        if (count < 1 || count > rows) {
            throw new IllegalArgumentException("batch of " + count + " tokens; this instance takes 1.." + rows);
        }
        final StepDescriptor d = descriptor;
        d.step(sequence, count);
        for (int b = 0; b < count; b++) {
            final KvCache cache = caches[b];
            final int slot = slots.slotOf(cache);
            if (slot < 0) {
                throw new IllegalArgumentException("row " + b + ": a cache this model did not hand out, or one "
                        + "already released");
            }
            if (positions[b] < 0 || positions[b] >= cache.capacity()) {
                throw new IllegalArgumentException("row " + b + ": position " + positions[b]
                        + " is outside the context of " + cache.capacity());
            }
            if (tokens[b] < 0 || tokens[b] >= vocab) {
                throw new IllegalArgumentException("row " + b + ": token id " + tokens[b]
                        + " is outside the vocabulary of " + vocab);
            }
            d.row(b, tokens[b], positions[b], slot, cache.capacity(), wantLogits[b]);
        }
        try {
            feed.publish(d);
            sequence++;
            plane.model.forward(count, tokens, positions, caches, wantLogits);
            if (plane.logitsIn != null) {
                for (int b = 0; b < count; b++) {
                    if (wantLogits[b]) {
                        if (logits[b] == null) {
                            logits[b] = new float[vocab];
                        }
                        plane.logitsIn.receivePrevious(logits[b], vocab);
                    }
                }
            }
        } catch (final RuntimeException e) {
            failure = e;
            try {
                feed.publishStop(sequence, StepDescriptor.STOP_FAILED, STOP_WAIT_NS);
            } catch (final RuntimeException stopFailed) {
                e.addSuppressed(stopFailed); // the step's failure is the one to report
            }
            throw e;
        }
    }

    @Override
    public float[] logits(final int b) {
        return logits.length > 0 ? logits[b] : plane.model.logits(b);
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("distributed model closed: instance " + wiring.instance());
        }
        if (failure instanceof PeerUnavailableException e) {
            throw new PeerUnavailableException(e.rank(), e.endpoint(), "instance " + wiring.instance()
                    + " broken by an earlier failure: " + e.getMessage());
        } else if (failure != null) {
            throw new IllegalStateException("instance " + wiring.instance() + " broken by an earlier failure: "
                    + failure.getMessage(), failure);
        }
    }

    /**
     * Tells every other position to stop (best effort: a gone position is skipped), then closes this model's
     * publications and subscriptions. The Aeron client, the pool and the weights' memory belong to the caller.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            feed.publishStop(sequence, StepDescriptor.STOP_CLOSED, STOP_WAIT_NS);
        } catch (final RuntimeException ignored) {
            // best effort: a position that misses the stop notices the supervisor's image vanish
        }
        CloseHelper.quietCloseAll(feed, plane);
    }

    @Override
    public String toString() {
        return "DistributedStepModel[instance=" + wiring.instance() + ", stages=" + wiring.stageSizes() + ", steps="
                + sequence + "]";
    }
}
