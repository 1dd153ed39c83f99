package dev.shoal.transport;

import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.CHUNK_OFFSET_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.MESSAGE_LENGTH_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.OP_KIND_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.SENDER_RANK_OFFSET;
import static dev.shoal.transport.TensorFrameDescriptor.SEQUENCE_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.MutableDirectBuffer;

/**
 * Sends one tensor message at a time over one publication, cut into frames of at most
 * {@code maxPayloadLength()} bytes ({@link TensorFrameDescriptor}), each written in place with {@code tryClaim}.
 * A message of length 0 still sends one (empty) frame, so the receiver sees every step.
 *
 * <p>Duty-cycle style: {@link #doWork(int)} writes what the publication takes now and returns; the caller
 * interleaves it with polling its subscription (so two ranks back-pressuring each other still drain) and idles
 * when no one made progress. Not thread-safe: one caller thread, like the {@link ExclusivePublication} it wraps.
 */
final class ChunkedSender {

    private final ExclusivePublication publication;
    private final BufferClaim claim = new BufferClaim();
    private final int floatsPerFrame;

    private float[] source;
    private int sourceOffset;
    private int length;
    private long sequence;
    private short op;
    private short senderRank;
    private int sent;
    private boolean done = true;
    private long lastResult;

    ChunkedSender(final ExclusivePublication publication) {
        this.publication = publication;
        this.floatsPerFrame = TensorFrameDescriptor.floatsPerFrame(publication.maxPayloadLength());
    }

    /** Starts the message {@code source[offset, offset+length)}; the array must stay untouched until done. */
    void begin(final long sequence, final short op, final int senderRank, final float[] source, final int offset,
               final int length) {
        this.sequence = sequence;
        this.op = op;
        this.senderRank = (short) senderRank;
        this.source = source;
        this.sourceOffset = offset;
        this.length = length;
        this.sent = 0;
        this.done = false;
    }

    /** True once every frame of the current message is committed to the publication. */
    boolean isDone() {
        return done;
    }

    /**
     * Writes up to {@code frameBudget} frames.
     *
     * @return frames written; 0 when the publication took nothing (see {@link #lastResult()}) or nothing is pending
     * @throws IllegalStateException when the publication is closed or exhausted — a bug or a shutdown race, not a
     *                               peer failure
     */
    int doWork(final int frameBudget) {
        if (done) {
            return 0;
        }
        final ExclusivePublication publication = this.publication;
        final BufferClaim claim = this.claim;
        int frames = 0;
        while (frames < frameBudget) {
            final int chunk = Math.min(floatsPerFrame, length - sent);
            final long result = publication.tryClaim(TensorFrameDescriptor.frameLength(chunk), claim);
            lastResult = result;
            if (result > 0) {
                writeFrame(claim.buffer(), claim.offset(), chunk);
                claim.commit();
                frames++;
                sent += chunk;
                if (sent == length) {
                    done = true;
                    source = null;
                    break;
                }
            } else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION
                    || result == Publication.NOT_CONNECTED) {
                // retry on the next duty cycle: the receiver drains, the log rotates, or the peer connects
                break;
            } else {
                throw new IllegalStateException("publication unusable: result=" + describe(result) + ", channel="
                        + publication.channel() + ", streamId=" + publication.streamId());
            }
        }
        return frames;
    }

    private void writeFrame(final MutableDirectBuffer buffer, final int offset, final int chunk) {
        writeHeader(buffer, offset, sequence, op, senderRank, length, sent, chunk);
        FloatCodec.encode(source, sourceOffset + sent, buffer, TensorFrameDescriptor.payloadOffset(offset), chunk);
    }

    private static void writeHeader(final MutableDirectBuffer buffer, final int at, final long sequence,
                                    final short op, final int senderRank, final int messageLength,
                                    final int chunkOffset, final int chunkLength) {
        buffer.putLong(at + SEQUENCE_OFFSET, sequence, LITTLE_ENDIAN);
        buffer.putShort(at + OP_KIND_OFFSET, op, LITTLE_ENDIAN);
        buffer.putShort(at + SENDER_RANK_OFFSET, (short) senderRank, LITTLE_ENDIAN);
        buffer.putInt(at + MESSAGE_LENGTH_OFFSET, messageLength, LITTLE_ENDIAN);
        buffer.putInt(at + CHUNK_OFFSET_OFFSET, chunkOffset, LITTLE_ENDIAN);
        buffer.putInt(at + CHUNK_LENGTH_OFFSET, chunkLength, LITTLE_ENDIAN);
    }

    /**
     * Writes one frame outside the current message ({@link #isDone()} must be true): {@code count} floats of
     * {@code source} from {@code offset} (none when {@code count} is 0), at most {@link #floatsPerFrame()}.
     *
     * @return true when the publication took it; false when it should be offered again (back pressure, an admin
     *         action, no receiver yet — see {@link #lastResult()})
     * @throws IllegalStateException when the publication is closed or exhausted, as {@link #doWork} does
     */
    boolean offerFrame(final long sequence, final short op, final int senderRank, final int messageLength,
                       final int chunkOffset, final float[] source, final int offset, final int count) {
        if (!done) {
            throw new IllegalStateException("a message is still being sent: " + sent + " of " + length + " floats");
        }
        final long result = publication.tryClaim(TensorFrameDescriptor.frameLength(count), claim);
        lastResult = result;
        if (result > 0) {
            final MutableDirectBuffer buffer = claim.buffer();
            final int at = claim.offset();
            writeHeader(buffer, at, sequence, op, senderRank, messageLength, chunkOffset, count);
            if (count > 0) {
                FloatCodec.encode(source, offset, buffer, TensorFrameDescriptor.payloadOffset(at), count);
            }
            claim.commit();
            return true;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION
                || result == Publication.NOT_CONNECTED) {
            return false;
        }
        throw new IllegalStateException("publication unusable: result=" + describe(result) + ", channel="
                + publication.channel() + ", streamId=" + publication.streamId());
    }

    /** Most floats one frame carries on this publication. */
    int floatsPerFrame() {
        return floatsPerFrame;
    }

    /** The last {@code tryClaim} result: a position (&gt; 0) or a {@link Publication} code. */
    long lastResult() {
        return lastResult;
    }

    /** Floats of the current message already committed. */
    int sent() {
        return sent;
    }

    int length() {
        return length;
    }

    boolean isConnected() {
        return publication.isConnected();
    }

    ExclusivePublication publication() {
        return publication;
    }

    /** Why the peer is not taking frames, for error messages. */
    String stallReason() {
        if (!publication.isConnected()) {
            return "publication not connected (no receiver at the endpoint)";
        }
        return "sent " + sent + " of " + length + " floats, last offer " + describe(lastResult);
    }

    static String describe(final long result) {
        if (result > 0) {
            return "ok";
        }
        return switch ((int) result) {
            case (int) Publication.NOT_CONNECTED -> "NOT_CONNECTED";
            case (int) Publication.BACK_PRESSURED -> "BACK_PRESSURED";
            case (int) Publication.ADMIN_ACTION -> "ADMIN_ACTION";
            case (int) Publication.CLOSED -> "CLOSED";
            case (int) Publication.MAX_POSITION_EXCEEDED -> "MAX_POSITION_EXCEEDED";
            default -> Long.toString(result);
        };
    }
}
