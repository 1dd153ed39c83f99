package dev.shoal.transport;

import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_OFFSET_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.HEADER_LENGTH;
import static dev.shoal.transport.TensorFrameDescriptor.MESSAGE_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.OP_KIND_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.OP_STAGE_HANDOFF;
import static dev.shoal.transport.TensorFrameDescriptor.SEQUENCE_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import dev.shoal.tensor.model.StageLink;
import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import java.util.Objects;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * A pipeline stage's {@link StageLink} over Aeron: the residual stream goes to the next stage's endpoint and comes
 * from the previous stage through a subscription on this stage's own endpoint. Hand-offs are numbered from 0 on
 * both sides; each is one tensor message ({@link TensorFrameDescriptor}, op {@code stage-handoff}).
 *
 * <p>{@link #sendNext} returns once every frame is in the publication (the network drains it; the receiver's
 * window is the only buffer limit, like {@code InProcessPipe}'s bounded queue). {@link #receivePrevious} reads
 * exactly one hand-off and stops at its last frame ({@link Action#BREAK}), so hand-offs the previous stage already
 * sent for later steps stay queued in the image, in order.
 *
 * <p>No progress for the peer timeout (the next stage takes nothing, or the previous sends nothing) throws
 * {@link PeerUnavailableException}; the link is unusable afterwards. A receiving stage waits for the previous
 * stage's compute, so the timeout must exceed the slowest upstream step. One thread calls each link; steady-state
 * calls allocate nothing.
 */
public final class AeronStageLink implements StageLink, AutoCloseable {

    private static final int FRAME_BUDGET = 16;
    private static final int FRAGMENT_LIMIT = 64;

    private final Endpoint listen;
    private final Endpoint next;
    private final Subscription subscription; // null for the first stage
    private final ChunkedSender sender; // null for the last stage
    private final IdleStrategy idle;
    private final long timeoutNs;
    private final ControlledFragmentHandler handler = this::onFragment;

    private long sendSequence;
    private long receiveSequence;
    private float[] target;
    private int targetLength;
    private int received;
    private boolean receiveComplete;
    private String protocolError;
    private RuntimeException failure;
    private boolean closed;
    private boolean nextSeen; // the next stage's receiver has been there (so its absence means it is gone)
    private boolean previousSeen; // the previous stage's stream has been there

    /**
     * @param listen where the previous stage sends to this one; null for the first stage
     * @param next   the next stage's listen endpoint; null for the last stage
     */
    public AeronStageLink(final Aeron aeron, final Endpoint listen, final Endpoint next,
                          final TransportSettings settings) {
        this.listen = listen;
        this.next = next;
        this.idle = settings.idle().newStrategy();
        this.timeoutNs = settings.peerTimeout().toNanos();
        Subscription sub = null;
        try {
            sub = listen == null ? null : aeron.addSubscription(listen.channel(), listen.streamId());
            this.sender = next == null ? null
                    : new ChunkedSender(aeron.addExclusivePublication(next.channel(), next.streamId()));
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(sub);
            throw e;
        }
        this.subscription = sub;
    }

    /**
     * True when both directions this link has are connected: the next stage's subscription receives our
     * publication, and the previous stage's publication has an image here. For start-up checks.
     */
    public boolean isConnected() {
        final boolean out = sender == null || sender.isConnected();
        final boolean in = subscription == null || subscription.imageCount() > 0;
        nextSeen |= sender != null && out;
        previousSeen |= subscription != null && in;
        return out && in;
    }

    /** Hand-offs sent so far. */
    public long sent() {
        return sendSequence;
    }

    /** Hand-offs received so far. */
    public long received() {
        return receiveSequence;
    }

    @Override
    public void sendNext(final float[] x, final int length) {
        checkUsable();
        if (sender == null) {
            throw new IllegalStateException("last stage: nothing to send to (listen=" + listen + ")");
        }
        Objects.checkFromIndexSize(0, length, x.length);
        final ChunkedSender sender = this.sender;
        final IdleStrategy idle = this.idle;
        sender.begin(sendSequence, OP_STAGE_HANDOFF, 0, x, 0, length);
        long lastProgress = System.nanoTime();
        idle.reset();
        while (!sender.isDone()) {
            final int work = sender.doWork(FRAME_BUDGET);
            final long now = System.nanoTime();
            if (work > 0) {
                lastProgress = now;
            } else if (now - lastProgress >= timeoutNs) {
                throw fail(new PeerUnavailableException(-1, next, "next stage at " + next + " took nothing for "
                        + timeoutNs / 1_000_000 + " ms (hand-off " + sendSequence + "): " + sender.stallReason()));
            } else if (now - lastProgress >= AeronCollective.GONE_CHECK_NS && nextStageGone()) {
                throw fail(new PeerUnavailableException(-1, next, "next stage at " + next + " is gone (no "
                        + "receiver at its endpoint any more) after " + (now - lastProgress) / 1_000_000
                        + " ms without progress (hand-off " + sendSequence + ")"));
            }
            idle.idle(work);
        }
        sendSequence++;
    }

    @Override
    public void receivePrevious(final float[] x, final int length) {
        checkUsable();
        if (subscription == null) {
            throw new IllegalStateException("first stage: nothing to receive from (next=" + next + ")");
        }
        Objects.checkFromIndexSize(0, length, x.length);
        target = x;
        targetLength = length;
        received = 0;
        receiveComplete = false;
        final Subscription subscription = this.subscription;
        final IdleStrategy idle = this.idle;
        long lastProgress = System.nanoTime();
        idle.reset();
        try {
            while (!receiveComplete) {
                final int work = subscription.controlledPoll(handler, FRAGMENT_LIMIT);
                if (protocolError != null) {
                    throw fail(new IllegalStateException(protocolError));
                }
                final long now = System.nanoTime();
                if (work > 0) {
                    lastProgress = now;
                } else if (now - lastProgress >= AeronCollective.GONE_CHECK_NS && previousStageGone()) {
                    throw fail(new PeerUnavailableException(-1, listen, "previous stage (sending to " + listen
                            + ") is gone (its stream closed or fell silent) after " + (now - lastProgress) / 1_000_000
                            + " ms without progress (hand-off " + receiveSequence + ")"));
                } else if (now - lastProgress >= timeoutNs) {
                    throw fail(new PeerUnavailableException(-1, listen, "previous stage (sending to " + listen
                            + ") " + (received == 0 ? "sent nothing" : "sent " + received + " of " + length
                            + " floats") + " for " + timeoutNs / 1_000_000 + " ms (hand-off " + receiveSequence
                            + ", images=" + subscription.imageCount() + ")"));
                }
                idle.idle(work);
            }
        } finally {
            target = null;
        }
        receiveSequence++;
    }

    private Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        final long sequence = buffer.getLong(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN);
        final int op = buffer.getShort(offset + OP_KIND_OFFSET, LITTLE_ENDIAN);
        final int messageLength = buffer.getInt(offset + MESSAGE_LENGTH_OFFSET, LITTLE_ENDIAN);
        final int chunkOffset = buffer.getInt(offset + CHUNK_OFFSET_OFFSET, LITTLE_ENDIAN);
        final int chunkLength = buffer.getInt(offset + CHUNK_LENGTH_OFFSET, LITTLE_ENDIAN);
        if (receiveComplete) {
            return Action.ABORT; // defensive: a later hand-off stays queued (BREAK normally stops the poll first)
        }
        if (sequence != receiveSequence || op != OP_STAGE_HANDOFF || messageLength != targetLength
                || chunkOffset != received || chunkLength < 0 || chunkLength > messageLength - chunkOffset
                || length != HEADER_LENGTH + chunkLength * Float.BYTES) {
            protocolError = "stage link at " + listen + ": expected hand-off " + receiveSequence + " of "
                    + targetLength + " floats from offset " + received + ", got " + TensorFrameDescriptor.opName(op)
                    + " " + sequence + " of " + messageLength + " floats, chunk [" + chunkOffset + ", +"
                    + chunkLength + ")";
            return Action.BREAK;
        }
        FloatCodec.decode(buffer, TensorFrameDescriptor.payloadOffset(offset), target, chunkOffset, chunkLength);
        received += chunkLength;
        if (received == messageLength) {
            receiveComplete = true;
            return Action.BREAK;
        }
        return Action.CONTINUE;
    }

    /**
     * The next stage's receiver went away after it had been there (its node's driver stopped answering); a stage
     * that is slow to take a hand-off but alive keeps it and gets the whole peer timeout.
     */
    private boolean nextStageGone() {
        if (sender.isConnected()) {
            nextSeen = true;
            return false;
        }
        return nextSeen;
    }

    /** The previous stage's stream to this link vanished after it had been there (closed, or silent 3 s). */
    private boolean previousStageGone() {
        final int images = subscription.imageCount();
        if (images > 0) {
            previousSeen = true;
            return false;
        }
        return previousSeen;
    }

    private RuntimeException fail(final RuntimeException e) {
        failure = e;
        return e;
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("stage link closed: listen=" + listen + ", next=" + next);
        }
        if (failure instanceof PeerUnavailableException e) {
            throw new PeerUnavailableException(e.rank(), e.endpoint(), "link broken by an earlier failure: "
                    + e.getMessage());
        } else if (failure != null) {
            throw new IllegalStateException("link broken by an earlier failure: " + failure.getMessage(), failure);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CloseHelper.quietClose(subscription);
        if (sender != null) {
            CloseHelper.quietClose(sender.publication());
        }
    }

    @Override
    public String toString() {
        return "AeronStageLink[listen=" + listen + ", next=" + next + ", sent=" + sendSequence + ", received="
                + receiveSequence + "]";
    }
}
