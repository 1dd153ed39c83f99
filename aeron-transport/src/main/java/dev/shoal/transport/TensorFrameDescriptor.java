package dev.shoal.transport;

/**
 * Layout of one frame of a tensor message: a chunk of float32 values with the header that lets the receiver place
 * it. Every data-plane message of the collective and the stage link is cut into frames no longer than the
 * publication's {@code maxPayloadLength()}, so each frame is one unfragmented Aeron fragment written in place with
 * {@code tryClaim} (no reassembly buffer, no copy beyond the one into the term).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                         Step sequence                         |
 *  |                          (64 bits)                            |
 *  +-------------------------------+-------------------------------+
 *  |          Op kind (16)         |       Sender rank (16)        |
 *  +-------------------------------+-------------------------------+
 *  |               Message length, in floats (32)                  |
 *  +---------------------------------------------------------------+
 *  |        Chunk offset within the message, in floats (32)        |
 *  +---------------------------------------------------------------+
 *  |                 Chunk length, in floats (32)                  |
 *  +---------------------------------------------------------------+
 *  |             Chunk payload: float32, little-endian            ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * All fields are little-endian. The header is 24 bytes, so the payload starts 8-byte aligned (Aeron's data header
 * is 32 bytes and frames are 32-byte aligned in the term). The sequence numbers the collective operation (every rank
 * counts its calls from 0, and all ranks make the same calls in the same order) or the stage hand-off; chunks of one
 * message travel in order on one publication, so the receiver checks that each chunk starts where the last ended.
 */
public final class TensorFrameDescriptor {

    /** {@link dev.shoal.tensor.model.Collective#allReduceSum}: the sender's partial sums. */
    public static final short OP_ALL_REDUCE_SUM = 1;

    /** {@link dev.shoal.tensor.model.Collective#gatherToFirst}: the sender's own part of the array, to rank 0. */
    public static final short OP_GATHER = 2;

    /** {@link dev.shoal.tensor.model.StageLink#sendNext}: the residual stream for the next pipeline stage. */
    public static final short OP_STAGE_HANDOFF = 3;

    /**
     * {@link dev.shoal.tensor.model.Collective#shareRowsToFirst}, a claim: the sender is about to make chunk
     * {@code chunk offset} (an index of chunks, not floats); message length is the call's rows; no payload.
     */
    public static final short OP_ROWS_CLAIM = 4;

    /** {@code shareRowsToFirst}, rows the sender made, to rank 0: chunk offset is the first row, payload the rows. */
    public static final short OP_ROWS = 5;

    /**
     * {@code shareRowsToFirst}, the sender's last frame of the call: it takes no more chunks (chunk offset: how many
     * it made); every rows frame it sent comes before this on its stream.
     */
    public static final short OP_ROWS_DONE = 6;

    public static final int SEQUENCE_OFFSET = 0;
    public static final int OP_KIND_OFFSET = 8;
    public static final int SENDER_RANK_OFFSET = 10;
    public static final int MESSAGE_LENGTH_OFFSET = 12;
    public static final int CHUNK_OFFSET_OFFSET = 16;
    public static final int CHUNK_LENGTH_OFFSET = 20;

    /** Bytes before the payload. */
    public static final int HEADER_LENGTH = 24;

    private TensorFrameDescriptor() {
    }

    /** Offset of the first float of the payload in a frame starting at {@code frameOffset}. */
    public static int payloadOffset(final int frameOffset) {
        return frameOffset + HEADER_LENGTH;
    }

    /** Frame length in bytes for a chunk of {@code floats} values. */
    public static int frameLength(final int floats) {
        return HEADER_LENGTH + floats * Float.BYTES;
    }

    /** Most floats in one frame on a publication whose largest unfragmented payload is {@code maxPayload} bytes. */
    public static int floatsPerFrame(final int maxPayload) {
        final int floats = (maxPayload - HEADER_LENGTH) / Float.BYTES;
        if (floats < 1) {
            throw new IllegalArgumentException("publication payload too small for a tensor frame: maxPayloadLength="
                    + maxPayload + ", header=" + HEADER_LENGTH);
        }
        return floats;
    }

    /** A readable name for logs and errors. */
    public static String opName(final int op) {
        return switch (op) {
            case OP_ALL_REDUCE_SUM -> "all-reduce-sum";
            case OP_GATHER -> "gather";
            case OP_STAGE_HANDOFF -> "stage-handoff";
            case OP_ROWS_CLAIM -> "share-rows claim";
            case OP_ROWS -> "share-rows rows";
            case OP_ROWS_DONE -> "share-rows done";
            default -> "op#" + op;
        };
    }
}
