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
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Measures the link to a {@link LinkProbeResponder}: latency as the median round trip of small pings, bandwidth as
 * a one-way run of large messages (sent with {@code offer()}, so Aeron fragments them to the MTU) closed by an
 * acknowledgement. The numbers feed placement (which ranks share a tensor group, which pairs are pipeline
 * neighbours); the probe is not a hot path and allocates its sample array per call.
 *
 * <p>One thread uses a probe; every wait gives up after the peer timeout without progress with
 * {@link PeerUnavailableException}.
 */
public final class LinkProbe implements AutoCloseable {

    private static final int FRAGMENT_LIMIT = 16;

    private final Endpoint remote;
    private final Subscription subscription;
    private final ExclusivePublication publication;
    private final IdleStrategy idle;
    private final long timeoutNs;
    private final FragmentHandler handler = this::onReply;
    private UnsafeBuffer sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(HEADER_LENGTH));

    private int awaitedType;
    private long awaitedSequence;
    private boolean replied;
    private long ackBytes;
    private int ackMessages;
    private long runs;

    /**
     * @param listen where this side listens (the responder's {@code replyTo})
     * @param remote where the responder listens
     */
    public LinkProbe(final Aeron aeron, final Endpoint listen, final Endpoint remote,
                     final TransportSettings settings) {
        this.remote = remote;
        this.idle = settings.idle().newStrategy();
        this.timeoutNs = settings.peerTimeout().toNanos();
        this.subscription = aeron.addSubscription(listen.channel(), listen.streamId());
        try {
            this.publication = aeron.addExclusivePublication(remote.channel(), remote.streamId());
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(subscription);
            throw e;
        }
    }

    /** Waits until the responder is connected both ways. */
    public void awaitConnected(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        idle.reset();
        while (!publication.isConnected() || subscription.hasNoImages()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new PeerUnavailableException(-1, remote, "link probe responder at " + remote
                        + " not connected within " + timeout.toMillis() + " ms (publication connected="
                        + publication.isConnected() + ", reply images=" + subscription.imageCount() + ")");
            }
            idle.idle(0);
        }
    }

    /** Runs {@code plan} and returns the median RTT and the one-way bandwidth. */
    public LinkMeasurement measure(final ProbePlan plan) {
        if (plan.pingBytes() > publication.maxMessageLength()
                || plan.streamMessageBytes() > publication.maxMessageLength()) {
            throw new IllegalArgumentException("probe message too long: pingBytes=" + plan.pingBytes()
                    + ", streamMessageBytes=" + plan.streamMessageBytes() + ", maxMessageLength="
                    + publication.maxMessageLength());
        }
        final int capacity = Math.max(plan.pingBytes(), plan.streamMessageBytes());
        if (sendBuffer.capacity() < capacity) {
            sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
        }
        for (int i = 0; i < plan.warmupPings(); i++) {
            ping(i, plan.pingBytes());
        }
        final long[] rtt = new long[plan.pings()];
        for (int i = 0; i < rtt.length; i++) {
            rtt[i] = ping(plan.warmupPings() + i, plan.pingBytes());
        }
        Arrays.sort(rtt);
        final double latencyMicros = rtt[rtt.length / 2] / 1e3;
        return new LinkMeasurement(latencyMicros, stream(plan.streamMessages(), plan.streamMessageBytes()));
    }

    /** One round trip, in nanoseconds. */
    private long ping(final long sequence, final int bytes) {
        final UnsafeBuffer buffer = sendBuffer;
        buffer.putInt(TYPE_OFFSET, TYPE_PING, LITTLE_ENDIAN);
        buffer.putInt(COUNT_OFFSET, 0, LITTLE_ENDIAN);
        buffer.putLong(SEQUENCE_OFFSET, sequence, LITTLE_ENDIAN);
        final long start = System.nanoTime();
        send(buffer, bytes);
        awaitReply(TYPE_PONG, sequence);
        return System.nanoTime() - start;
    }

    /** Bytes per second of a one-way run. */
    private double stream(final int messages, final int bytes) {
        final UnsafeBuffer buffer = sendBuffer;
        final long run = runs++;
        final long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            buffer.putInt(TYPE_OFFSET, TYPE_DATA, LITTLE_ENDIAN);
            buffer.putLong(SEQUENCE_OFFSET, i, LITTLE_ENDIAN);
            send(buffer, bytes);
        }
        buffer.putInt(TYPE_OFFSET, TYPE_DONE, LITTLE_ENDIAN);
        buffer.putLong(SEQUENCE_OFFSET, run, LITTLE_ENDIAN);
        send(buffer, HEADER_LENGTH);
        awaitReply(TYPE_ACK, -1);
        final long elapsed = System.nanoTime() - start;
        if (ackMessages != messages || ackBytes != (long) messages * bytes) {
            throw new IllegalStateException("probe run lost data: sent " + messages + " messages of " + bytes
                    + " bytes, responder counted " + ackMessages + " messages, " + ackBytes + " bytes");
        }
        return ackBytes * 1e9 / elapsed;
    }

    private void send(final UnsafeBuffer buffer, final int length) {
        long lastProgress = System.nanoTime();
        idle.reset();
        while (true) {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0) {
                return;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("probe publication unusable: " + ChunkedSender.describe(result));
            }
            if (System.nanoTime() - lastProgress >= timeoutNs) {
                throw new PeerUnavailableException(-1, remote, "link probe responder at " + remote
                        + " took nothing for " + timeoutNs / 1_000_000 + " ms: " + ChunkedSender.describe(result));
            }
            idle.idle(0);
        }
    }

    private void awaitReply(final int type, final long sequence) {
        awaitedType = type;
        awaitedSequence = sequence;
        replied = false;
        final long start = System.nanoTime();
        idle.reset();
        while (!replied) {
            final int work = subscription.poll(handler, FRAGMENT_LIMIT);
            if (work == 0 && System.nanoTime() - start >= timeoutNs) {
                throw new PeerUnavailableException(-1, remote, "link probe responder at " + remote
                        + " did not answer within " + timeoutNs / 1_000_000 + " ms");
            }
            idle.idle(work);
        }
    }

    private void onReply(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        final int type = buffer.getInt(offset + TYPE_OFFSET, LITTLE_ENDIAN);
        if (type != awaitedType) {
            return;
        }
        if (type == TYPE_PONG && buffer.getLong(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN) == awaitedSequence) {
            replied = true;
        } else if (type == TYPE_ACK) {
            ackMessages = buffer.getInt(offset + COUNT_OFFSET, LITTLE_ENDIAN);
            ackBytes = buffer.getLong(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN);
            replied = true;
        }
    }

    @Override
    public void close() {
        CloseHelper.closeAll(subscription, publication);
    }
}
