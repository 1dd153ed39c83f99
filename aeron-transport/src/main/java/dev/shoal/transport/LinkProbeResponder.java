package dev.shoal.transport;

import static dev.shoal.transport.ProbeDescriptor.COUNT_OFFSET;
import static dev.shoal.transport.ProbeDescriptor.HEADER_LENGTH;
import static dev.shoal.transport.ProbeDescriptor.SEQUENCE_OFFSET;
import static dev.shoal.transport.ProbeDescriptor.TYPE_ACK;
import static dev.shoal.transport.ProbeDescriptor.TYPE_DATA;
import static dev.shoal.transport.ProbeDescriptor.TYPE_DONE;
import static dev.shoal.transport.ProbeDescriptor.TYPE_OFFSET;
import static dev.shoal.transport.ProbeDescriptor.TYPE_PING;
import static dev.shoal.transport.ProbeDescriptor.TYPE_PONG;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import io.aeron.Aeron;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import java.nio.ByteBuffer;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The far end of a {@link LinkProbe}: echoes pings, counts a one-way run and acknowledges it. An Agrona
 * {@link Agent}: {@link #doWork()} first retries a reply the publication refused, then (only when no reply is
 * pending) polls; a ping or run end that needs a reply while one is still pending is left in the image
 * ({@link Action#ABORT}) and read again on the next cycle.
 */
public final class LinkProbeResponder implements Agent {

    private static final int FRAGMENT_LIMIT = 16;

    private final Subscription subscription;
    private final ExclusivePublication reply;
    private final ControlledFragmentAssembler assembler = new ControlledFragmentAssembler(this::onMessage);
    private final UnsafeBuffer replyBuffer;
    private int replyLength; // bytes of a pending reply, 0 when none
    private long runBytes;
    private int runMessages;

    /**
     * @param listen  where the probe sends (this responder subscribes here)
     * @param replyTo where the probe listens (pongs and acks go here)
     */
    public LinkProbeResponder(final Aeron aeron, final Endpoint listen, final Endpoint replyTo) {
        this.subscription = aeron.addSubscription(listen.channel(), listen.streamId());
        try {
            this.reply = aeron.addExclusivePublication(replyTo.channel(), replyTo.streamId());
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(subscription);
            throw e;
        }
        this.replyBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(reply.maxMessageLength()));
    }

    /** Runs a responder on its own thread until the returned runner is closed. */
    public static AgentRunner start(final Aeron aeron, final Endpoint listen, final Endpoint replyTo,
                                    final IdleMode idle) {
        final AgentRunner runner = new AgentRunner(idle.newStrategy(), Throwable::printStackTrace, null,
                new LinkProbeResponder(aeron, listen, replyTo));
        AgentRunner.startOnThread(runner);
        return runner;
    }

    @Override
    public int doWork() {
        int work = sendReply();
        if (replyLength == 0) {
            work += subscription.controlledPoll(assembler, FRAGMENT_LIMIT);
            work += sendReply();
        }
        return work;
    }

    /** @return 1 when a pending reply went out, else 0 */
    private int sendReply() {
        if (replyLength == 0) {
            return 0;
        }
        final long result = reply.offer(replyBuffer, 0, replyLength);
        if (result > 0) {
            replyLength = 0;
            return 1;
        }
        if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
            throw new IllegalStateException("probe reply publication unusable: " + ChunkedSender.describe(result));
        }
        return 0; // not connected / back pressured / admin action: retry next cycle
    }

    private Action onMessage(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        final int type = buffer.getInt(offset + TYPE_OFFSET, LITTLE_ENDIAN);
        switch (type) {
            case TYPE_DATA -> {
                runBytes += length;
                runMessages++;
                return Action.CONTINUE;
            }
            case TYPE_PING -> {
                if (replyLength > 0) {
                    return Action.ABORT;
                }
                replyBuffer.putBytes(0, buffer, offset, length);
                replyBuffer.putInt(TYPE_OFFSET, TYPE_PONG, LITTLE_ENDIAN);
                replyLength = length;
                return Action.BREAK; // send it before reading further
            }
            case TYPE_DONE -> {
                if (replyLength > 0) {
                    return Action.ABORT;
                }
                replyBuffer.putInt(TYPE_OFFSET, TYPE_ACK, LITTLE_ENDIAN);
                replyBuffer.putInt(COUNT_OFFSET, runMessages, LITTLE_ENDIAN);
                replyBuffer.putLong(SEQUENCE_OFFSET, runBytes, LITTLE_ENDIAN);
                replyLength = HEADER_LENGTH;
                runBytes = 0;
                runMessages = 0;
                return Action.BREAK;
            }
            default -> {
                return Action.CONTINUE; // not ours: ignore
            }
        }
    }

    @Override
    public void onClose() {
        CloseHelper.closeAll(subscription, reply);
    }

    @Override
    public String roleName() {
        return "shoal-link-probe-responder";
    }
}
