package dev.shoal.transport.step;

import dev.shoal.transport.Endpoint;
import dev.shoal.transport.PeerUnavailableException;
import dev.shoal.transport.TransportSettings;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The supervisor's end of the step feed: one exclusive publication to every other position's
 * {@link InstanceWiring#stepFeed feed endpoint}. A descriptor is encoded once into a reused buffer and offered to
 * each publication; {@link #publish} returns when every position's publication took it, or throws
 * {@link PeerUnavailableException} when no publication took it for the peer timeout (the same rule as the stage
 * link). One caller thread; publishing allocates nothing.
 */
final class StepFeedPublisher implements AutoCloseable {

    private final InstanceWiring wiring;
    private final ExclusivePublication[] publications; // by position; null at 0
    private final boolean[] taken; // by position: this descriptor is in its publication
    private final long[] lastResult; // by position, for error messages
    private final UnsafeBuffer buffer;
    private final IdleStrategy idle;
    private final long timeoutNs;

    StepFeedPublisher(final Aeron aeron, final InstanceWiring wiring, final int maxBatch,
                      final TransportSettings settings) {
        this.wiring = wiring;
        final int positions = wiring.positionCount();
        this.publications = new ExclusivePublication[positions];
        this.taken = new boolean[positions];
        this.lastResult = new long[positions];
        this.idle = settings.idle().newStrategy();
        this.timeoutNs = settings.peerTimeout().toNanos();
        final int length = StepDescriptor.frameLength(maxBatch);
        this.buffer = new UnsafeBuffer(new byte[length]);
        try {
            for (int p = 1; p < positions; p++) {
                final Endpoint feed = wiring.stepFeed(p);
                publications[p] = aeron.addExclusivePublication(feed.channel(), feed.streamId());
                if (length > publications[p].maxPayloadLength()) {
                    throw new IllegalArgumentException("a step of " + maxBatch + " rows is " + length
                            + " bytes, more than one frame (" + publications[p].maxPayloadLength() + ")");
                }
            }
        } catch (final RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The first position whose publication has no receiver yet, or -1 when all are connected. */
    int firstUnconnected() {
        for (int p = 1; p < publications.length; p++) {
            if (!publications[p].isConnected()) {
                return p;
            }
        }
        return -1;
    }

    /**
     * Sends {@code descriptor} to every other position.
     *
     * @throws PeerUnavailableException when a position's publication took nothing for the peer timeout
     */
    void publish(final StepDescriptor descriptor) {
        final int positions = publications.length;
        if (positions == 1) {
            return;
        }
        final int length = descriptor.encode(buffer, 0);
        final IdleStrategy idle = this.idle;
        int pending = positions - 1;
        for (int p = 1; p < positions; p++) {
            taken[p] = false;
        }
        long lastProgress = System.nanoTime();
        idle.reset();
        while (true) {
            int work = 0;
            for (int p = 1; p < positions; p++) {
                if (!taken[p]) {
                    final long result = publications[p].offer(buffer, 0, length);
                    lastResult[p] = result;
                    if (result > 0) {
                        taken[p] = true;
                        pending--;
                        work++;
                    } else if (result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION
                            && result != Publication.NOT_CONNECTED) {
                        throw new IllegalStateException("step feed to position " + p + " unusable: "
                                + describe(result) + " (" + wiring.stepFeed(p) + ")");
                    }
                }
            }
            if (pending == 0) {
                return;
            }
            final long now = System.nanoTime();
            if (work > 0) {
                lastProgress = now;
            } else if (now - lastProgress >= timeoutNs) {
                throw unavailable();
            }
            idle.idle(work);
        }
    }

    /**
     * Tells every position that the instance stops, without blocking for long: a position whose publication is
     * not connected is skipped (it is gone anyway), a back-pressured one is retried until {@code maxWaitNs}.
     */
    void publishStop(final long sequence, final int reason, final long maxWaitNs) {
        if (publications.length == 1) {
            return;
        }
        final StepDescriptor stop = new StepDescriptor(1);
        stop.stop(sequence, reason);
        final int length = stop.encode(buffer, 0);
        final long deadline = System.nanoTime() + maxWaitNs;
        for (int p = 1; p < publications.length; p++) {
            final ExclusivePublication publication = publications[p];
            if (publication == null || publication.isClosed()) {
                continue;
            }
            long result;
            while ((result = publication.offer(buffer, 0, length)) == Publication.BACK_PRESSURED
                    || result == Publication.ADMIN_ACTION) {
                if (System.nanoTime() - deadline >= 0) {
                    break;
                }
                Thread.onSpinWait();
            }
        }
    }

    private PeerUnavailableException unavailable() {
        int who = -1;
        final StringBuilder detail = new StringBuilder();
        for (int p = 1; p < publications.length; p++) {
            if (!taken[p]) {
                who = who < 0 ? p : who;
                detail.append("; position ").append(p).append(" (stage ").append(wiring.stageOf(p)).append(" rank ")
                        .append(wiring.rankOf(p)).append(") at ").append(wiring.stepFeed(p)).append(": ")
                        .append(describe(lastResult[p]));
            }
        }
        return new PeerUnavailableException(-1, wiring.stepFeed(who), "step feed of instance " + wiring.instance()
                + ": no position took the step descriptor for " + timeoutNs / 1_000_000 + " ms" + detail);
    }

    static String describe(final long result) {
        if (result > 0) {
            return "ok";
        }
        if (result == Publication.NOT_CONNECTED) {
            return "NOT_CONNECTED (no receiver)";
        } else if (result == Publication.BACK_PRESSURED) {
            return "BACK_PRESSURED";
        } else if (result == Publication.ADMIN_ACTION) {
            return "ADMIN_ACTION";
        } else if (result == Publication.CLOSED) {
            return "CLOSED";
        } else if (result == Publication.MAX_POSITION_EXCEEDED) {
            return "MAX_POSITION_EXCEEDED";
        }
        return Long.toString(result);
    }

    @Override
    public void close() {
        for (final ExclusivePublication publication : publications) {
            CloseHelper.quietClose(publication);
        }
    }
}
