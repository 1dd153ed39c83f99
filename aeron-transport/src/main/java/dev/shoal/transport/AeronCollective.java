package dev.shoal.transport;

import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_OFFSET_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.HEADER_LENGTH;
import static dev.shoal.transport.TensorFrameDescriptor.MESSAGE_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.OP_ALL_REDUCE_SUM;
import static dev.shoal.transport.TensorFrameDescriptor.OP_GATHER;
import static dev.shoal.transport.TensorFrameDescriptor.OP_KIND_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.OP_ROWS;
import static dev.shoal.transport.TensorFrameDescriptor.OP_ROWS_CLAIM;
import static dev.shoal.transport.TensorFrameDescriptor.OP_ROWS_DONE;
import static dev.shoal.transport.TensorFrameDescriptor.SENDER_RANK_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.SEQUENCE_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import dev.shoal.tensor.model.Collective;
import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * A tensor-parallel group's {@link Collective} over Aeron: every rank sends its whole contribution straight to every
 * other rank (a full mesh — for the 2–4 ranks of a node group, one hop beats a ring's 2(n-1) hops) and sums or
 * places what it receives.
 *
 * <p><b>Wiring.</b> Rank {@code r} subscribes on {@code endpoints[r]} and has one exclusive publication to every
 * other rank's endpoint. Frames carry the sender's rank, so one subscription serves all peers (one image each).
 *
 * <p><b>Bit-identical all-reduce.</b> Each rank keeps every peer's partial, then adds all partials in rank order
 * {@code ((p0 + p1) + p2) ...} — the same float operations in the same order on every rank, hence the same bits
 * ({@link dev.shoal.tensor.model.InProcessGroup} is the reference).
 *
 * <p><b>Steps.</b> Each call is one step; every rank numbers its calls from 0. A fast peer may already send a later
 * step while this rank waits for a slow peer's step {@code s}: {@code s+1} after an all-reduce, and further ahead
 * across gathers, which only rank 0 receives (the other ranks finish a gather as soon as their part is sent, so
 * rank 1 may send step {@code s+2} to rank 2 while rank 2 still waits for rank 0's {@code s}). Each peer's frames
 * arrive in order on its own image, so a frame of a later step is left there ({@link Action#ABORT}) and read in
 * that step's call; no staging is needed. A frame of a past step is a protocol error.
 *
 * <p><b>Shared rows.</b> {@link #shareRowsToFirst} in a group of two splits the chunks while it runs: rank 0 takes
 * them from the front, rank 1 from the back, each announcing a chunk ({@code OP_ROWS_CLAIM}) before making it and
 * stopping at the first chunk the other has announced; rank 1 sends each chunk's rows to rank 0 ({@code OP_ROWS}),
 * and each rank ends with {@code OP_ROWS_DONE}. A call returns once this rank has stopped and has the peer's done,
 * so every frame of the call is read within it. Two ranks that announce the same chunk at once both make it, with
 * the same bits. Larger groups use the interface's even split.
 *
 * <p><b>Failure.</b> A call that makes no progress (no frame sent, none received) for the peer timeout throws
 * {@link PeerUnavailableException} naming the silent rank and its endpoint; the group is then broken and every
 * later call throws again at once.
 *
 * <p><b>Threading and allocation.</b> One thread per rank calls this object. Steady-state calls allocate nothing:
 * partial buffers grow to the largest length seen and are reused, frames are written in place with a reused
 * {@code BufferClaim}, the fragment handler is one object made at construction.
 */
public final class AeronCollective implements Collective, AutoCloseable {

    /** Frames one sender writes per duty cycle before the subscription is polled again. */
    private static final int FRAME_BUDGET = 16;

    /** Fragments one poll reads across all images. */
    private static final int FRAGMENT_LIMIT = 64;

    /** After this long without progress a wait looks at the peers' links ({@link #goneRank}), and again as often. */
    static final long GONE_CHECK_NS = 100_000_000L;

    private final int rank;
    private final int size;
    private final Endpoint[] endpoints;
    private final Subscription subscription;
    private final ChunkedSender[] senders; // by rank; null at this rank
    private final IdleStrategy idle;
    private final long timeoutNs;
    private final ControlledFragmentHandler handler = this::onFragment;

    // (size, capacity): every rank's partial of the current all-reduce; the own row holds a copy only when rank != 0
    private final float[][] partials;
    private final int[] expected; // floats each rank sends in the current step
    private final int[] received; // floats received so far from each rank in the current step
    private final boolean[] complete;
    private final boolean[] connectedOnce; // our publication to the rank has had a receiver
    private int imagesSeen; // most peer images the subscription has had
    private long lastGoneCheck;

    // shareRowsToFirst: the call's array and rows (rank 0 places the peer's rows), and the peer's furthest claim
    private float[] shareTarget;
    private int shareRows;
    private int shareChunks;
    private int peerClaim;
    // shareRowsToFirst in a group of more than two: the even split's parts, by rank
    private final int[] evenStarts;
    private final int[] evenEnds;

    private long sequence;
    private short op;
    private float[] gatherTarget;
    private int[] gatherStarts;
    private int remaining; // ranks whose message is not complete yet
    private String protocolError;
    private RuntimeException failure; // sticky: the ranks no longer agree on the step
    private boolean closed;

    /**
     * @param aeron     a client of this rank's media driver (not closed by this object)
     * @param rank      this rank, {@code 0 <= rank < endpoints.size()}
     * @param endpoints where each rank of the group listens, by rank; UDP for ranks on other hosts, IPC only when
     *                  all ranks share one driver
     */
    public AeronCollective(final Aeron aeron, final int rank, final List<? extends Endpoint> endpoints,
                           final TransportSettings settings) {
        this.size = endpoints.size();
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank out of range: rank=" + rank + ", size=" + size);
        }
        if (size > Short.MAX_VALUE) {
            throw new IllegalArgumentException("group too large: size=" + size);
        }
        this.rank = rank;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.idle = settings.idle().newStrategy();
        this.timeoutNs = settings.peerTimeout().toNanos();
        this.partials = new float[size][0];
        this.expected = new int[size];
        this.received = new int[size];
        this.complete = new boolean[size];
        this.connectedOnce = new boolean[size];
        this.evenStarts = new int[size];
        this.evenEnds = new int[size];
        this.senders = new ChunkedSender[size];
        final Endpoint own = this.endpoints[rank];
        Subscription sub = null;
        try {
            sub = aeron.addSubscription(own.channel(), own.streamId());
            for (int r = 0; r < size; r++) {
                if (r != rank) {
                    final Endpoint peer = this.endpoints[r];
                    senders[r] = new ChunkedSender(aeron.addExclusivePublication(peer.channel(), peer.streamId()));
                }
            }
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(sub);
            for (final ChunkedSender s : senders) {
                CloseHelper.quietClose(s == null ? null : s.publication());
            }
            throw e;
        }
        this.subscription = sub;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** Steps completed so far (the sequence number of the next call). */
    public long sequence() {
        return sequence;
    }

    /** The endpoint rank {@code r} listens on. */
    public Endpoint endpoint(final int r) {
        return endpoints[r];
    }

    /**
     * Waits until every peer is connected both ways (our publication to it has a receiver, its publication to us
     * has an image). Optional: calls connect on the fly; this bounds start-up separately from the peer timeout.
     *
     * @throws PeerUnavailableException naming the first peer not connected by {@code timeout}
     */
    public void awaitConnected(final Duration timeout) {
        checkUsable();
        final long deadline = System.nanoTime() + timeout.toNanos();
        idle.reset();
        while (true) {
            int missing = -1;
            for (int r = 0; r < size && missing < 0; r++) {
                if (r != rank && !senders[r].isConnected()) {
                    missing = r;
                }
            }
            if (missing < 0 && subscription.imageCount() >= size - 1) {
                Arrays.fill(connectedOnce, true);
                imagesSeen = Math.max(imagesSeen, subscription.imageCount());
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                final int who = missing >= 0 ? missing : firstRankWithoutImage();
                final PeerUnavailableException e = new PeerUnavailableException(who, endpoints[who], "rank " + rank
                        + ": rank " + who + " at " + endpoints[who] + " not connected within " + timeout.toMillis()
                        + " ms (our publications connected=" + (missing < 0) + ", peer images="
                        + subscription.imageCount() + "/" + (size - 1) + ")");
                failure = e;
                throw e;
            }
            idle.idle(0);
        }
    }

    @Override
    public void allReduceSum(final float[] data, final int offset, final int length) {
        checkUsable();
        Objects.checkFromIndexSize(offset, length, data.length);
        final float[][] partials = this.partials;
        for (int r = 0; r < size; r++) {
            if (partials[r].length < length) {
                partials[r] = new float[length]; // grows to the largest step once, then reused
            }
            expected[r] = length;
        }
        begin(OP_ALL_REDUCE_SUM);
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                senders[r].begin(sequence, OP_ALL_REDUCE_SUM, rank, data, offset, length);
            }
        }
        awaitStep();
        sumInRankOrder(data, offset, length);
        sequence++;
    }

    @Override
    public void gatherToFirst(final float[] data, final int[] starts, final int[] ends) {
        checkUsable();
        if (starts.length != size || ends.length != size) {
            throw new IllegalArgumentException("partition of " + starts.length + "/" + ends.length
                    + " parts for a group of " + size);
        }
        for (int r = 0; r < size; r++) {
            Objects.checkFromToIndex(starts[r], ends[r], data.length);
            expected[r] = ends[r] - starts[r];
        }
        gatherTarget = data;
        gatherStarts = starts;
        begin(OP_GATHER);
        if (rank != 0) {
            // only rank 0 receives: this rank sends its part and is done once it is sent
            Arrays.fill(complete, true);
            remaining = 0;
            senders[0].begin(sequence, OP_GATHER, rank, data, starts[rank], expected[rank]);
        }
        try {
            awaitStep();
        } finally {
            gatherTarget = null;
            gatherStarts = null;
        }
        sequence++;
    }

    @Override
    public void shareRowsToFirst(final float[] data, final int rows, final int chunkRows, final RowTask task) {
        checkUsable();
        final int chunks = Collective.chunkCount(data, rows, chunkRows);
        if (size != 2) {
            // the interface's even split, in arrays kept for it (this runs once a token)
            Collective.evenRows(rows, chunkRows, evenStarts, evenEnds);
            if (evenEnds[rank] > evenStarts[rank]) {
                task.compute(evenStarts[rank], evenEnds[rank]);
            }
            gatherToFirst(data, evenStarts, evenEnds);
            return;
        }
        final int peer = 1 - rank;
        begin(OP_ROWS_CLAIM);
        expected[peer] = rows;
        shareTarget = data;
        shareRows = rows;
        shareChunks = chunks;
        peerClaim = rank == 0 ? chunks : -1; // nothing announced yet: rank 1 would start below chunks, rank 0 above -1
        final int step = rank == 0 ? 1 : -1;
        int next = rank == 0 ? 0 : chunks - 1;
        int made = 0;
        boolean stopped = false;
        try {
            long lastProgress = System.nanoTime();
            idle.reset();
            while (true) {
                // read every claim that has arrived before deciding: a stale view would make chunks twice
                int work = 0;
                for (int read; (read = pollShared()) > 0; ) {
                    work += read;
                }
                if (rank == 0 ? next < peerClaim : next > peerClaim) {
                    final int from = next * chunkRows;
                    final int to = Math.min(rows, from + chunkRows);
                    send(OP_ROWS_CLAIM, next, data, 0, 0);
                    task.compute(from, to);
                    if (rank != 0) {
                        final int perFrame = senders[peer].floatsPerFrame();
                        for (int at = from; at < to; at += perFrame) {
                            send(OP_ROWS, at, data, at, Math.min(perFrame, to - at));
                        }
                    }
                    made++;
                    next += step;
                    lastProgress = System.nanoTime();
                    idle.reset();
                    continue;
                }
                if (!stopped) {
                    send(OP_ROWS_DONE, made, data, 0, 0);
                    stopped = true;
                    work++;
                }
                if (remaining == 0) {
                    break;
                }
                lastProgress = waited(work, lastProgress);
                idle.idle(work);
            }
        } finally {
            shareTarget = null;
        }
        sequence++;
    }

    /** Reads what the peer sent in the current shared-rows call; fragments read. */
    private int pollShared() {
        if (remaining == 0) {
            return 0;
        }
        final int work = subscription.controlledPoll(handler, FRAGMENT_LIMIT);
        if (protocolError != null) {
            failure = new IllegalStateException(protocolError);
            protocolError = null;
            throw failure;
        }
        return work;
    }

    /** Offers one frame of the current step to the peer of a group of two until it is taken, reading meanwhile. */
    private void send(final short frameOp, final int chunkOffset, final float[] source, final int offset,
                      final int count) {
        final ChunkedSender sender = senders[1 - rank];
        long lastProgress = System.nanoTime();
        while (!sender.offerFrame(sequence, frameOp, rank, shareRows, chunkOffset, source, offset, count)) {
            final int work = pollShared();
            lastProgress = waited(work, lastProgress);
            idle.idle(work);
        }
    }

    /**
     * The wait's bookkeeping between duty cycles: the time of the last progress, or the failure once the peer has
     * been silent for the timeout or its link is gone.
     */
    private long waited(final int work, final long lastProgress) {
        final long now = System.nanoTime();
        if (work > 0) {
            return now;
        }
        if (now - lastProgress >= timeoutNs) {
            throw unavailable();
        }
        if (now - lastProgress >= GONE_CHECK_NS && now - lastGoneCheck >= GONE_CHECK_NS) {
            lastGoneCheck = now;
            final int gone = goneRank();
            if (gone >= 0) {
                throw gone(gone, now - lastProgress);
            }
        }
        return lastProgress;
    }

    private void begin(final short op) {
        this.op = op;
        for (int r = 0; r < size; r++) {
            received[r] = 0;
            complete[r] = r == rank;
        }
        remaining = size - 1;
    }

    /** Runs duty cycles until this step is sent and received, or a peer is declared unavailable. */
    private void awaitStep() {
        final IdleStrategy idle = this.idle;
        final long timeoutNs = this.timeoutNs;
        long lastProgress = System.nanoTime();
        idle.reset();
        while (true) {
            final int work = doWork();
            if (work < 0) {
                return;
            }
            lastProgress = waited(work, lastProgress);
            idle.idle(work);
        }
    }

    /**
     * One duty cycle: offer pending frames to every peer, then poll.
     *
     * @return frames sent plus fragments received (0: idle), or -1 when the step is complete
     */
    private int doWork() {
        final ChunkedSender[] senders = this.senders;
        int work = 0;
        boolean sending = false;
        for (int r = 0; r < senders.length; r++) {
            final ChunkedSender sender = senders[r];
            if (sender != null && !sender.isDone()) {
                work += sender.doWork(FRAME_BUDGET);
                sending |= !sender.isDone();
            }
        }
        if (remaining > 0) {
            work += subscription.controlledPoll(handler, FRAGMENT_LIMIT);
            if (protocolError != null) {
                failure = new IllegalStateException(protocolError);
                protocolError = null;
                throw failure;
            }
        }
        return !sending && remaining == 0 ? -1 : work;
    }

    private Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        final long frameSequence = buffer.getLong(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN);
        if (frameSequence != sequence) {
            if (frameSequence > sequence) {
                return Action.ABORT; // a fast peer's later step: leave it in the image until that call
            }
            return protocolError("frame of past step " + frameSequence, buffer, offset);
        }
        final int from = buffer.getShort(offset + SENDER_RANK_OFFSET, LITTLE_ENDIAN);
        final int frameOp = buffer.getShort(offset + OP_KIND_OFFSET, LITTLE_ENDIAN);
        if (op == OP_ROWS_CLAIM) {
            return onSharedRows(buffer, offset, length, from, frameOp);
        }
        final int messageLength = buffer.getInt(offset + MESSAGE_LENGTH_OFFSET, LITTLE_ENDIAN);
        final int chunkOffset = buffer.getInt(offset + CHUNK_OFFSET_OFFSET, LITTLE_ENDIAN);
        final int chunkLength = buffer.getInt(offset + CHUNK_LENGTH_OFFSET, LITTLE_ENDIAN);
        if (from < 0 || from >= size || from == rank || complete[from]) {
            return protocolError("unexpected sender rank " + from, buffer, offset);
        }
        if (frameOp != op || messageLength != expected[from]) {
            return protocolError(TensorFrameDescriptor.opName(frameOp) + " of " + messageLength
                    + " floats where this rank runs " + TensorFrameDescriptor.opName(op) + " of " + expected[from],
                    buffer, offset);
        }
        if (chunkOffset != received[from] || chunkLength < 0 || chunkLength > messageLength - chunkOffset
                || length != HEADER_LENGTH + chunkLength * Float.BYTES) {
            return protocolError("chunk [" + chunkOffset + ", +" + chunkLength + ") in a frame of " + length
                    + " bytes after " + received[from] + " floats", buffer, offset);
        }
        final int payload = TensorFrameDescriptor.payloadOffset(offset);
        if (op == OP_ALL_REDUCE_SUM) {
            FloatCodec.decode(buffer, payload, partials[from], chunkOffset, chunkLength);
        } else {
            FloatCodec.decode(buffer, payload, gatherTarget, gatherStarts[from] + chunkOffset, chunkLength);
        }
        received[from] += chunkLength;
        if (received[from] == messageLength) {
            complete[from] = true;
            remaining--;
        }
        return Action.CONTINUE;
    }

    /** A frame of a shared-rows call (the call's op is {@code OP_ROWS_CLAIM}; frames are any of the three). */
    private Action onSharedRows(final DirectBuffer buffer, final int offset, final int length, final int from,
                                final int frameOp) {
        final int messageLength = buffer.getInt(offset + MESSAGE_LENGTH_OFFSET, LITTLE_ENDIAN);
        final int chunkOffset = buffer.getInt(offset + CHUNK_OFFSET_OFFSET, LITTLE_ENDIAN);
        final int chunkLength = buffer.getInt(offset + CHUNK_LENGTH_OFFSET, LITTLE_ENDIAN);
        if (from != 1 - rank || complete[from]) {
            return protocolError("unexpected sender rank " + from, buffer, offset);
        }
        if (messageLength != shareRows) {
            return protocolError(TensorFrameDescriptor.opName(frameOp) + " of " + messageLength
                    + " rows where this rank shares " + shareRows, buffer, offset);
        }
        switch (frameOp) {
            case OP_ROWS_CLAIM -> {
                if (chunkOffset < 0 || chunkOffset >= shareChunks || chunkLength != 0) {
                    return protocolError("claim of chunk " + chunkOffset + " of " + shareChunks, buffer, offset);
                }
                peerClaim = rank == 0 ? Math.min(peerClaim, chunkOffset) : Math.max(peerClaim, chunkOffset);
            }
            case OP_ROWS -> {
                if (rank != 0 || chunkOffset < 0 || chunkLength < 0 || chunkLength > shareRows - chunkOffset
                        || length != HEADER_LENGTH + chunkLength * Float.BYTES) {
                    return protocolError("rows [" + chunkOffset + ", +" + chunkLength + ") in a frame of " + length
                            + " bytes to rank " + rank, buffer, offset);
                }
                FloatCodec.decode(buffer, TensorFrameDescriptor.payloadOffset(offset), shareTarget, chunkOffset,
                        chunkLength);
                received[from] += chunkLength;
            }
            case OP_ROWS_DONE -> {
                complete[from] = true;
                remaining--;
            }
            default -> {
                return protocolError(TensorFrameDescriptor.opName(frameOp) + " where this rank shares rows",
                        buffer, offset);
            }
        }
        return Action.CONTINUE;
    }

    private Action protocolError(final String what, final DirectBuffer buffer, final int offset) {
        // the poll swallows handler exceptions (it reports them to the client's error handler), so record and stop
        protocolError = "rank " + rank + " step " + sequence + " (" + TensorFrameDescriptor.opName(op)
                + "): protocol error, " + what + " from rank " + buffer.getShort(offset + SENDER_RANK_OFFSET,
                LITTLE_ENDIAN) + " — ranks are not making the same calls in the same order";
        return Action.BREAK;
    }

    /**
     * {@code data[offset + i] = ((p0[i] + p1[i]) + p2[i]) ...} with this rank's own partial taken from {@code data}.
     * Done pass by pass (copy p0, then add p1, then p2 ...), which performs exactly the per-element additions in
     * rank order while letting the JIT vectorise each pass.
     */
    private void sumInRankOrder(final float[] data, final int offset, final int length) {
        final float[][] partials = this.partials;
        if (rank != 0) {
            System.arraycopy(data, offset, partials[rank], 0, length);
            System.arraycopy(partials[0], 0, data, offset, length);
        }
        for (int r = 1; r < size; r++) {
            final float[] p = partials[r];
            for (int i = 0; i < length; i++) {
                data[offset + i] += p[i];
            }
        }
    }

    /**
     * A peer we are waiting on whose link is gone: our publication to it lost its receiver (a gone process's
     * driver stops its status messages; over IPC its subscription closes) or a peer's stream to us vanished (closed,
     * or silent for the driver's image liveness). Only links seen up before count, so a peer still starting is
     * waited for; -1 when none. A slow peer that is alive keeps both, and is given the whole peer timeout.
     */
    private int goneRank() {
        for (int r = 0; r < size; r++) {
            if (r != rank && senders[r].isConnected()) {
                connectedOnce[r] = true;
            }
        }
        final int images = subscription.imageCount();
        imagesSeen = Math.max(imagesSeen, images);
        for (int r = 0; r < size; r++) {
            if (r != rank && connectedOnce[r] && !senders[r].isConnected() && (!complete[r] || !senders[r].isDone())) {
                return r;
            }
        }
        if (images < imagesSeen) {
            for (int r = 0; r < size; r++) {
                if (r != rank && !complete[r]) {
                    return r; // images carry no rank until their first frame; name the first peer still owed
                }
            }
        }
        return -1;
    }

    private PeerUnavailableException gone(final int who, final long waitedNs) {
        final PeerUnavailableException e = new PeerUnavailableException(who, endpoints[who], "rank " + rank
                + " step " + sequence + " (" + TensorFrameDescriptor.opName(op) + "): rank " + who + " at "
                + endpoints[who] + " is gone (" + (senders[who].isConnected() ? "its stream to this rank closed"
                : "no receiver at its endpoint any more") + ") after " + waitedNs / 1_000_000
                + " ms without progress");
        failure = e;
        return e;
    }

    private PeerUnavailableException unavailable() {
        int who = -1;
        final StringBuilder detail = new StringBuilder();
        for (int r = 0; r < size; r++) {
            if (r != rank && !complete[r]) {
                who = who < 0 ? r : who;
                detail.append("; rank ").append(r).append(" at ").append(endpoints[r]).append(received[r] == 0
                        ? " sent nothing" : " sent " + received[r] + " of " + expected[r] + " floats");
            }
        }
        for (int r = 0; r < size; r++) {
            if (r != rank && !senders[r].isDone()) {
                who = who < 0 ? r : who;
                detail.append("; to rank ").append(r).append(" at ").append(endpoints[r]).append(": ")
                        .append(senders[r].stallReason());
            }
        }
        final PeerUnavailableException e = new PeerUnavailableException(who, endpoints[who], "rank " + rank
                + " step " + sequence + " (" + TensorFrameDescriptor.opName(op) + "): no progress for "
                + timeoutNs / 1_000_000 + " ms" + detail);
        failure = e;
        return e;
    }

    private int firstRankWithoutImage() {
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                return r; // images carry no rank until their first frame; name the first peer
            }
        }
        return rank;
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("collective closed: rank=" + rank);
        }
        if (failure instanceof PeerUnavailableException e) {
            throw new PeerUnavailableException(e.rank(), e.endpoint(), "group broken by an earlier failure: "
                    + e.getMessage());
        } else if (failure != null) {
            throw new IllegalStateException("group broken by an earlier failure: " + failure.getMessage(), failure);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CloseHelper.quietClose(subscription);
        for (final ChunkedSender sender : senders) {
            if (sender != null) {
                CloseHelper.quietClose(sender.publication());
            }
        }
    }

    @Override
    public String toString() {
        return "AeronCollective[rank=" + rank + "/" + size + ", listen=" + endpoints[rank] + ", step=" + sequence
                + "]";
    }
}
