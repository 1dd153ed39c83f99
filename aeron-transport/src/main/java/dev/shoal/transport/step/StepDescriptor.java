package dev.shoal.transport.step;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.util.Objects;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One step of a distributed model, as the supervisor tells every other position: which tokens to run, at which
 * positions of which sequence slots, and which rows' logits are wanted — or that the instance stops. Mutable and
 * reused: the supervisor fills one per step and encodes it; a worker decodes every frame into the same object,
 * so neither side allocates per step.
 *
 * <p>Wire layout, little-endian, one Aeron frame (small: 16 + 20 × count bytes):
 * <pre>
 *   0  kind        int32   1 = step, 2 = stop
 *   4  count       int32   rows of a step (1 .. maxBatch); for a stop, the reason (0 closed, 1 failed)
 *   8  sequence    int64   steps numbered from 0; a stop carries the number the next step would have had
 *  16  rows        count × 20 bytes:
 *        +0 token      int32
 *        +4 position   int32   position of the token in its sequence
 *        +8 slot       int32   the sequence's slot (0 .. maxBatch - 1): which KV cache every position uses
 *       +12 capacity   int32   that cache's length in positions (a worker allocates or grows to it)
 *       +16 flags      int32   bit 0: the row's logits are wanted
 * </pre>
 */
public final class StepDescriptor {

    public static final int KIND_STEP = 1;
    public static final int KIND_STOP = 2;

    /** Stop reasons. */
    public static final int STOP_CLOSED = 0;
    public static final int STOP_FAILED = 1;

    public static final int KIND_OFFSET = 0;
    public static final int COUNT_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int HEADER_LENGTH = 16;
    public static final int ROW_LENGTH = 20;

    private static final int TOKEN = 0;
    private static final int POSITION = 4;
    private static final int SLOT = 8;
    private static final int CAPACITY = 12;
    private static final int FLAGS = 16;
    private static final int WANT_LOGITS = 1;

    private final int maxBatch;
    private final int[] tokens;
    private final int[] positions;
    private final int[] slots;
    private final int[] capacities;
    private final boolean[] want;
    private int kind;
    private int count;
    private long sequence;

    public StepDescriptor(final int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1: maxBatch=" + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.tokens = new int[maxBatch];
        this.positions = new int[maxBatch];
        this.slots = new int[maxBatch];
        this.capacities = new int[maxBatch];
        this.want = new boolean[maxBatch];
    }

    /** Bytes of a frame of {@code rows} rows. */
    public static int frameLength(final int rows) {
        return HEADER_LENGTH + rows * ROW_LENGTH;
    }

    /** Starts a step of {@code count} rows; fill them with {@link #row}. */
    public void step(final long sequence, final int count) {
        if (count < 1 || count > maxBatch) {
            throw new IllegalArgumentException("a step has 1.." + maxBatch + " rows: count=" + count);
        }
        this.kind = KIND_STEP;
        this.sequence = sequence;
        this.count = count;
    }

    /** Sets row {@code b} of the current step. */
    public void row(final int b, final int token, final int position, final int slot, final int capacity,
                    final boolean wantLogits) {
        Objects.checkIndex(b, count);
        tokens[b] = token;
        positions[b] = position;
        slots[b] = slot;
        capacities[b] = capacity;
        want[b] = wantLogits;
    }

    /** Makes this a stop message. */
    public void stop(final long sequence, final int reason) {
        this.kind = KIND_STOP;
        this.sequence = sequence;
        this.count = reason;
    }

    /** Writes this descriptor at {@code offset}; returns the bytes written. */
    public int encode(final MutableDirectBuffer buffer, final int offset) {
        final int rows = kind == KIND_STEP ? count : 0;
        final int length = frameLength(rows);
        buffer.boundsCheck(offset, length);
        buffer.putInt(offset + KIND_OFFSET, kind, LITTLE_ENDIAN);
        buffer.putInt(offset + COUNT_OFFSET, count, LITTLE_ENDIAN);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, LITTLE_ENDIAN);
        for (int b = 0; b < rows; b++) {
            final int row = offset + HEADER_LENGTH + b * ROW_LENGTH;
            buffer.putInt(row + TOKEN, tokens[b], LITTLE_ENDIAN);
            buffer.putInt(row + POSITION, positions[b], LITTLE_ENDIAN);
            buffer.putInt(row + SLOT, slots[b], LITTLE_ENDIAN);
            buffer.putInt(row + CAPACITY, capacities[b], LITTLE_ENDIAN);
            buffer.putInt(row + FLAGS, want[b] ? WANT_LOGITS : 0, LITTLE_ENDIAN);
        }
        return length;
    }

    /**
     * Reads a frame into this descriptor.
     *
     * @return null when the frame is well-formed, else what is wrong with it (the descriptor is then undefined).
     *         Not an exception: decoding runs inside an Aeron poll, which would swallow it.
     */
    public String decode(final DirectBuffer buffer, final int offset, final int length) {
        if (length < HEADER_LENGTH) {
            return "descriptor frame of " + length + " bytes, shorter than its " + HEADER_LENGTH + "-byte header";
        }
        final int frameKind = buffer.getInt(offset + KIND_OFFSET, LITTLE_ENDIAN);
        final int frameCount = buffer.getInt(offset + COUNT_OFFSET, LITTLE_ENDIAN);
        final long frameSequence = buffer.getLong(offset + SEQUENCE_OFFSET, LITTLE_ENDIAN);
        if (frameKind == KIND_STOP) {
            if (length != HEADER_LENGTH) {
                return "stop frame of " + length + " bytes";
            }
            stop(frameSequence, frameCount);
            return null;
        }
        if (frameKind != KIND_STEP) {
            return "unknown descriptor kind " + frameKind;
        }
        if (frameCount < 1 || frameCount > maxBatch) {
            return "step of " + frameCount + " rows where this position takes 1.." + maxBatch;
        }
        if (length != frameLength(frameCount)) {
            return "step of " + frameCount + " rows in a frame of " + length + " bytes (expected "
                    + frameLength(frameCount) + ")";
        }
        kind = KIND_STEP;
        count = frameCount;
        sequence = frameSequence;
        for (int b = 0; b < frameCount; b++) {
            final int row = offset + HEADER_LENGTH + b * ROW_LENGTH;
            tokens[b] = buffer.getInt(row + TOKEN, LITTLE_ENDIAN);
            positions[b] = buffer.getInt(row + POSITION, LITTLE_ENDIAN);
            slots[b] = buffer.getInt(row + SLOT, LITTLE_ENDIAN);
            capacities[b] = buffer.getInt(row + CAPACITY, LITTLE_ENDIAN);
            want[b] = (buffer.getInt(row + FLAGS, LITTLE_ENDIAN) & WANT_LOGITS) != 0;
        }
        return null;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public boolean isStop() {
        return kind == KIND_STOP;
    }

    public int kind() {
        return kind;
    }

    /** Rows of a step. */
    public int count() {
        return kind == KIND_STEP ? count : 0;
    }

    /** Why the instance stops ({@link #STOP_CLOSED}, {@link #STOP_FAILED}); meaningful for a stop only. */
    public int stopReason() {
        return kind == KIND_STOP ? count : -1;
    }

    public long sequence() {
        return sequence;
    }

    /** Per-row arrays, valid in {@code [0, count())}; shared, not copies (the forward pass reads them as is). */
    public int[] tokens() {
        return tokens;
    }

    public int[] positions() {
        return positions;
    }

    public int[] slots() {
        return slots;
    }

    public int[] capacities() {
        return capacities;
    }

    public boolean[] wantLogits() {
        return want;
    }
}
