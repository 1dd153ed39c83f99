package dev.shoal.transport.step;

import dev.shoal.transport.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where every part of one model instance lives on the data plane, as plain data (it travels in cluster messages):
 * the instance number, the size of each pipeline stage (its tensor ranks), and the data address of the node that
 * holds each position. Positions are numbered stage-major: position 0 is stage 0 rank 0 (the supervisor), then
 * the other ranks of stage 0, then stage 1, and so on. Pipeline placements have stage sizes {@code [1, 1, ...]},
 * tensor placements {@code [R]}, hybrids anything else, a single node {@code [1]}.
 *
 * <p>Every endpoint below is derived from these fields alone, so all nodes compute the same wiring. An endpoint
 * is always the <em>listening</em> position's address with the stream id {@link StreamIds#of}(instance, purpose,
 * listening position) — over UDP, or over {@code aeron:ipc} when all positions share one host's media driver
 * ({@link #overIpc()}):
 * <ul>
 *   <li>{@link #stepFeed(int)}: supervisor → position p (p ≥ 1), step descriptors.</li>
 *   <li>{@link #collective(int)}: every rank's listen endpoint of stage s's tensor group, by rank.</li>
 *   <li>{@link #handoff(int)}: stage s → stage s + 1. After the all-reduce every rank of a stage holds the same
 *       residual stream, so rank r of stage s + 1 receives from rank {@code r mod R_s} of stage s
 *       ({@link #handoffSource}); a sender may thus feed several next ranks, or none
 *       ({@link #handoffTargets}).</li>
 *   <li>{@link #logitsReturn()}: last stage rank 0 → the supervisor, when there are several stages (with one stage
 *       the supervisor already holds the gathered logits).</li>
 * </ul>
 *
 * @param instance   distinguishes the streams of concurrent instances ({@code 0 .. StreamIds.MAX_INSTANCES - 1})
 * @param stageSizes tensor ranks of each stage, in pipeline order; each at least 1
 * @param addresses  per position, the data address of the node holding it
 */
public record InstanceWiring(int instance, List<Integer> stageSizes, List<DataAddress> addresses) {

    public InstanceWiring {
        StreamIds.checkInstance(instance);
        stageSizes = List.copyOf(stageSizes);
        addresses = List.copyOf(addresses);
        if (stageSizes.isEmpty()) {
            throw new IllegalArgumentException("an instance has at least one stage");
        }
        int positions = 0;
        for (final int size : stageSizes) {
            if (size < 1) {
                throw new IllegalArgumentException("every stage has at least one rank: stageSizes=" + stageSizes);
            }
            positions += size;
        }
        if (positions > StreamIds.MAX_POSITIONS) {
            throw new IllegalArgumentException(positions + " positions; an instance has at most "
                    + StreamIds.MAX_POSITIONS);
        }
        if (positions != addresses.size()) {
            throw new IllegalArgumentException("stage sizes " + stageSizes + " make " + positions
                    + " positions but " + addresses.size() + " addresses are given");
        }
    }

    /** Positions of the instance (the sum of the stage sizes). */
    public int positionCount() {
        return addresses.size();
    }

    /** Pipeline stages. */
    public int stageCount() {
        return stageSizes.size();
    }

    /** The index of the last stage (the one producing logits). */
    public int lastStage() {
        return stageSizes.size() - 1;
    }

    /** Tensor ranks of {@code stage}. */
    public int ranks(final int stage) {
        return stageSizes.get(stage);
    }

    /** The position of {@code rank} in {@code stage}. */
    public int position(final int stage, final int rank) {
        Objects.checkIndex(rank, ranks(stage));
        int p = 0;
        for (int s = 0; s < stage; s++) {
            p += stageSizes.get(s);
        }
        return p + rank;
    }

    /** The stage holding {@code position}. */
    public int stageOf(final int position) {
        Objects.checkIndex(position, positionCount());
        int p = position;
        int s = 0;
        while (p >= stageSizes.get(s)) {
            p -= stageSizes.get(s++);
        }
        return s;
    }

    /** The tensor rank of {@code position} within its stage. */
    public int rankOf(final int position) {
        return position - position(stageOf(position), 0);
    }

    /** The stream {@code position} listens on for {@code purpose}. */
    public int streamId(final StreamPurpose purpose, final int position) {
        return StreamIds.of(instance, purpose, position);
    }

    /**
     * Whether every position's node uses one shared media driver: then every endpoint is {@code aeron:ipc} (the
     * stream id alone names the listener, and ids are unique per instance), else every endpoint is UDP. Mixed
     * wirings stay all-UDP, so each position keeps one subscription per purpose.
     */
    public boolean overIpc() {
        final DataAddress first = addresses.get(0);
        for (final DataAddress a : addresses) {
            if (!a.sharesDriverWith(first)) {
                return false;
            }
        }
        return true;
    }

    /** Where {@code position} (≥ 1) receives step descriptors from the supervisor. */
    public Endpoint stepFeed(final int position) {
        if (position == 0) {
            throw new IllegalArgumentException("position 0 is the supervisor; it has no step feed");
        }
        return listen(StreamPurpose.STEP_FEED, position);
    }

    /** Every rank's listen endpoint of {@code stage}'s tensor group, by rank (for {@code AeronCollective}). */
    public List<Endpoint> collective(final int stage) {
        final int ranks = ranks(stage);
        final List<Endpoint> endpoints = new ArrayList<>(ranks);
        for (int r = 0; r < ranks; r++) {
            endpoints.add(listen(StreamPurpose.COLLECTIVE, position(stage, r)));
        }
        return List.copyOf(endpoints);
    }

    /** Where {@code position} (of a stage after the first) receives the previous stage's residual stream. */
    public Endpoint handoff(final int position) {
        if (stageOf(position) == 0) {
            throw new IllegalArgumentException("position " + position + " is on the first stage; it receives no "
                    + "hand-off");
        }
        return listen(StreamPurpose.STAGE_HANDOFF, position);
    }

    /** The position of the previous stage that sends {@code position} its hand-off: rank {@code r mod R_(s-1)}. */
    public int handoffSource(final int position) {
        final int stage = stageOf(position);
        if (stage == 0) {
            throw new IllegalArgumentException("position " + position + " is on the first stage");
        }
        return position(stage - 1, rankOf(position) % ranks(stage - 1));
    }

    /**
     * The positions of the next stage that {@code position} hands off to: ranks {@code r'} with
     * {@code r' mod R_s == r}. Empty on the last stage, and for ranks beyond the next stage's size.
     */
    public List<Integer> handoffTargets(final int position) {
        final int stage = stageOf(position);
        if (stage == lastStage()) {
            return List.of();
        }
        final int rank = rankOf(position);
        final int ranks = ranks(stage);
        final List<Integer> targets = new ArrayList<>();
        for (int r = rank; r < ranks(stage + 1); r += ranks) {
            targets.add(position(stage + 1, r));
        }
        return List.copyOf(targets);
    }

    /** The position that returns logits to the supervisor: rank 0 of the last stage. */
    public int logitsSender() {
        return position(lastStage(), 0);
    }

    /** Where the supervisor receives the wanted logits rows from {@link #logitsSender()}; several stages only. */
    public Endpoint logitsReturn() {
        if (stageCount() == 1) {
            throw new IllegalStateException("one stage: the supervisor gathers the logits itself");
        }
        return listen(StreamPurpose.LOGITS_RETURN, 0);
    }

    private Endpoint listen(final StreamPurpose purpose, final int position) {
        if (overIpc()) {
            return new Endpoint.Ipc(streamId(purpose, position));
        }
        final DataAddress a = addresses.get(position);
        return new Endpoint.Udp(a.host(), a.port(), streamId(purpose, position));
    }
}
