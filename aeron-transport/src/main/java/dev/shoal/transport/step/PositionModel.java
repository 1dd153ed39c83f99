package dev.shoal.transport.step;

import dev.shoal.tensor.model.Collective;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StageLink;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.transport.AeronCollective;
import dev.shoal.transport.AeronStageLink;
import dev.shoal.transport.Endpoint;
import dev.shoal.transport.PeerUnavailableException;
import dev.shoal.transport.TransportSettings;
import io.aeron.Aeron;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

/**
 * One position's forward pass and the transports it needs, wired from an {@link InstanceWiring}: the
 * {@link SliceModel} of its slice, its stage's {@link AeronCollective} (or {@link Collective#single()} for a
 * one-rank stage), its hand-offs ({@link FanOutStageLink}), and the logits return link when there are several
 * stages (sending on the last stage's rank 0, receiving on the supervisor). Shared by {@link ShardRuntime} and
 * {@link DistributedStepModel}, which differ only in who drives the step.
 *
 * <p>The vocabulary partition given to the model is the engine's own tensor split of the whole vocabulary over
 * the stage's ranks ({@link Slice#tensorPart}); on the last stage this position's slice must hold exactly its
 * part, which is checked here.
 */
final class PositionModel implements AutoCloseable {

    final InstanceWiring wiring;
    final int position;
    final int stage;
    final int rank;
    final SliceModel model;
    final AeronCollective collective; // null for a one-rank stage
    final FanOutStageLink handoff; // null when the instance has one stage
    final AeronStageLink logitsOut; // last stage rank 0 of a multi-stage instance
    final AeronStageLink logitsIn; // the supervisor of a multi-stage instance

    PositionModel(final Aeron aeron, final InstanceWiring wiring, final int position, final SliceWeights weights,
                  final WorkerPool pool, final int maxContext, final int maxBatch, final TransportSettings settings) {
        this.wiring = wiring;
        this.position = position;
        this.stage = wiring.stageOf(position);
        this.rank = wiring.rankOf(position);
        final ModelConfig c = weights.config();
        final Slice slice = weights.slice();
        final int ranks = wiring.ranks(stage);
        final boolean last = stage == wiring.lastStage();
        if (slice.embedsTokens() != (stage == 0) || slice.producesLogits(c) != last) {
            throw new IllegalArgumentException("position " + position + " is stage " + stage + " of "
                    + wiring.stageCount() + " but its slice " + slice + " " + (slice.embedsTokens() ? "embeds tokens"
                    : "does not embed tokens") + " and " + (slice.producesLogits(c) ? "produces logits"
                    : "does not produce logits"));
        }
        final int[] vocabStarts = new int[ranks];
        final int[] vocabEnds = new int[ranks];
        vocabularyPartition(c.vocabSize(), vocabStarts, vocabEnds);
        if (last && (slice.vocabStart() != vocabStarts[rank] || slice.vocabEnd() != vocabEnds[rank])) {
            throw new IllegalArgumentException("position " + position + " (stage " + stage + " rank " + rank
                    + ") holds vocabulary " + slice.vocabStart() + ".." + slice.vocabEnd() + " but rank " + rank
                    + " of " + ranks + " gathers " + vocabStarts[rank] + ".." + vocabEnds[rank]);
        }
        final List<AutoCloseable> made = new ArrayList<>();
        try {
            this.collective = ranks == 1 ? null
                    : keep(made, new AeronCollective(aeron, rank, wiring.collective(stage), settings));
            if (wiring.stageCount() == 1) {
                this.handoff = null;
            } else {
                final AeronStageLink in = stage == 0 ? null
                        : keep(made, new AeronStageLink(aeron, wiring.handoff(position), null, settings));
                final List<Integer> targets = wiring.handoffTargets(position);
                final AeronStageLink[] out = new AeronStageLink[targets.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = keep(made, new AeronStageLink(aeron, null, wiring.handoff(targets.get(i)), settings));
                }
                this.handoff = keep(made, new FanOutStageLink(in, out));
            }
            final boolean multiStage = wiring.stageCount() > 1;
            this.logitsOut = multiStage && position == wiring.logitsSender()
                    ? keep(made, new AeronStageLink(aeron, null, wiring.logitsReturn(), settings)) : null;
            this.logitsIn = multiStage && position == 0
                    ? keep(made, new AeronStageLink(aeron, wiring.logitsReturn(), null, settings)) : null;
            this.model = new SliceModel(weights, collective == null ? Collective.single() : collective,
                    handoff == null ? StageLink.NONE : handoff, pool, maxContext, maxBatch, vocabStarts, vocabEnds);
        } catch (final RuntimeException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                CloseHelper.quietClose(made.get(i));
            }
            throw e;
        }
    }

    /**
     * Vocabulary rows of each of {@code starts.length} ranks, as {@link Slice#tensorPart} cuts them. A stand-in
     * slice with one KV head and one FFN column per rank lets the engine's own split compute it for any model.
     */
    static void vocabularyPartition(final int vocab, final int[] starts, final int[] ends) {
        final int ranks = starts.length;
        final Slice stand = new Slice(0, 1, 0, ranks, 0, ranks, 0, vocab);
        for (int r = 0; r < ranks; r++) {
            final Slice part = stand.tensorPart(r, ranks, 1);
            starts[r] = part.vocabStart();
            ends[r] = part.vocabEnd();
        }
    }

    private static <T extends AutoCloseable> T keep(final List<AutoCloseable> made, final T resource) {
        made.add(resource);
        return resource;
    }

    /** A transport not connected yet: what it is, and the endpoint involved. */
    record Gap(String what, Endpoint endpoint) {
    }

    /** The first transport of this position not connected yet, or null when all are. */
    Gap missing() {
        if (handoff != null) {
            if (handoff.in() != null && !handoff.in().isConnected()) {
                return new Gap("hand-off from position " + wiring.handoffSource(position) + " (listening at "
                        + wiring.handoff(position) + ")", wiring.handoff(position));
            }
            final List<Integer> targets = wiring.handoffTargets(position);
            for (int i = 0; i < handoff.targets(); i++) {
                if (!handoff.out(i).isConnected()) {
                    final Endpoint to = wiring.handoff(targets.get(i));
                    return new Gap("hand-off to position " + targets.get(i) + " at " + to, to);
                }
            }
        }
        if (logitsOut != null && !logitsOut.isConnected()) {
            return new Gap("logits return to the supervisor at " + wiring.logitsReturn(), wiring.logitsReturn());
        }
        if (logitsIn != null && !logitsIn.isConnected()) {
            return new Gap("logits return from position " + wiring.logitsSender() + " (listening at "
                    + wiring.logitsReturn() + ")", wiring.logitsReturn());
        }
        return null;
    }

    /**
     * Waits until the tensor group and every link is connected both ways; {@code extra} names a further
     * condition of the caller (the step feed), null when it holds.
     *
     * @throws PeerUnavailableException naming what is still missing at the deadline
     */
    void awaitConnected(final Duration timeout, final Supplier<Gap> extra, final IdleStrategy idle) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        if (collective != null) {
            collective.awaitConnected(timeout);
        }
        idle.reset();
        while (true) {
            Gap gap = missing();
            if (gap == null) {
                gap = extra.get();
            }
            if (gap == null) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new PeerUnavailableException(-1, gap.endpoint(), "position " + position + " of instance "
                        + wiring.instance() + ": not connected within " + timeout.toMillis() + " ms: "
                        + gap.what());
            }
            idle.idle(0);
        }
    }

    @Override
    public void close() {
        CloseHelper.quietCloseAll(logitsIn, logitsOut, handoff, collective);
    }
}
