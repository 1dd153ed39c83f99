package dev.shoal.tensor.quant;

/**
 * Up to {@code maxRows} input vectors of up to {@code maxCols} elements, quantized to one {@link ActivationType}
 * as llama.cpp quantizes a matmul's activations (its x86 {@code quantize_row_q8_0}/{@code _q8_1} and
 * {@code quantize_row_q8_K_ref}), so that the integer part of every dot product is the same as llama.cpp's.
 *
 * <p>Shape, per row b (all arrays row-major with a fixed stride so nothing is reallocated):
 * {@code levels[b*maxCols + i]} is element i's integer level as a float (exact; the kernels multiply levels as
 * floats because a float FMA does 8–16 multiply-adds per instruction where the Vector API has no int8 dot
 * product, and sums of such products stay exact below 2^24); {@code scales[b*blocks + j]} is block j's d;
 * {@code sums} holds Q8_1's s per block, or Q8_K's 16-level sums (16 per block; their pairs, the 32-level sums the
 * K-quant kernels use, are in {@code subBlockSums}); {@code shortLevels} (Q8_0 only) hold the levels as shorts,
 * {@code pairLevels} (Q8_0 and Q8_K) the same evens then odds per 32, {@code blockPairLevels} (Q8_0 only) those
 * with each pair of blocks interleaved by quarters, and {@code nibbleOffsets} (Q8_0 only) Q4_0's per-lane offsets,
 * for the Q8_0, Q4_0 and Q4_K kernels' 16-bit integer paths; {@code dequantized} is q·d, for the batched path that
 * multiplies dequantized weight tiles. For {@link ActivationType#F32} nothing is copied: {@link #values()} is the
 * caller's array.
 */
public final class QuantizedActivations {

    private final ActivationType type;
    private final int maxRows;
    private final int maxCols;
    private final int blocksPerRow;
    private final float[] levels;
    private final float[] scales;
    private final float[] sums;
    private final float[] dequantized;
    private final int[] subBlockSums;
    private final short[] pairLevels;
    private final short[] nibbleOffsets;
    private final short[] blockPairLevels;
    private final short[] shortLevels;
    private final int[] broadcastPairs;
    private final int[] blockOffsets;
    /** One run of 32 levels as ints while {@link ActivationQuantizer} permutes them into the short layouts. */
    private final int[] blockScratch = new int[32];
    private float[] source;
    private int sourceStride;

    public QuantizedActivations(ActivationType type, int maxRows, int maxCols) {
        if (maxCols % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " activations come in blocks of " + type.blockSize()
                    + "; " + maxCols + " columns is not a whole number of blocks");
        }
        this.type = type;
        this.maxRows = maxRows;
        this.maxCols = maxCols;
        this.blocksPerRow = maxCols / type.blockSize();
        boolean q = type != ActivationType.F32;
        this.levels = q ? new float[maxRows * maxCols] : null;
        this.dequantized = q ? new float[maxRows * maxCols] : null;
        this.scales = q ? new float[maxRows * blocksPerRow] : null;
        this.sums = switch (type) {
            case Q8_1 -> new float[maxRows * blocksPerRow];
            case Q8_K -> new float[maxRows * blocksPerRow * 16];
            default -> null;
        };
        this.subBlockSums = type == ActivationType.Q8_K ? new int[maxRows * blocksPerRow * 8] : null;
        this.pairLevels = type == ActivationType.Q8_0 || type == ActivationType.Q8_K
                ? new short[maxRows * maxCols] : null;
        this.nibbleOffsets = type == ActivationType.Q8_0 ? new short[maxRows * maxCols / 4] : null;
        this.blockPairLevels = type == ActivationType.Q8_0 ? new short[maxRows * maxCols] : null;
        this.shortLevels = type == ActivationType.Q8_0 ? new short[maxRows * maxCols] : null;
        final boolean broadcast = (type == ActivationType.Q8_0 || type == ActivationType.Q8_K) && RowGroups.supported();
        this.broadcastPairs = broadcast ? new int[Math.min(maxRows, BROADCAST_ROWS) * maxCols / 2] : null;
        this.blockOffsets = broadcast && type == ActivationType.Q8_0 ? new int[maxRows * blocksPerRow] : null;
    }

    public ActivationType type() {
        return type;
    }

    public int maxRows() {
        return maxRows;
    }

    public int maxCols() {
        return maxCols;
    }

    /**
     * Quantizes rows {@code 0..rows-1}: row b is {@code x[b*stride, b*stride + n)}. For F32 only remembers
     * {@code x} and {@code stride}.
     */
    public void quantize(float[] x, int stride, int rows, int n) {
        if (rows > maxRows || n > maxCols) {
            throw new IllegalArgumentException(rows + "×" + n + " activations exceed " + maxRows + "×" + maxCols);
        }
        if (type == ActivationType.F32) {
            source = x;
            sourceStride = stride;
            return;
        }
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " activations need whole blocks of " + type.blockSize() + ", got " + n);
        }
        for (int b = 0; b < rows; b++) {
            ActivationQuantizer.quantize(type, x, b * stride, n, this, b);
        }
    }

    /** Floats of row b: the levels (quantized types) or the caller's values (F32), starting at {@link #offset}. */
    public float[] values() {
        return type == ActivationType.F32 ? source : levels;
    }

    /** Index in {@link #values()} and {@link #dequantizedValues()} of element 0 of row {@code b}. */
    public int offset(int b) {
        return type == ActivationType.F32 ? b * sourceStride : b * maxCols;
    }

    /** q·d per element (quantized types), or the caller's values (F32). */
    public float[] dequantizedValues() {
        return type == ActivationType.F32 ? source : dequantized;
    }

    /** Scale of block {@code j} of row {@code b}. */
    public float scale(int b, int j) {
        return scales[b * blocksPerRow + j];
    }

    /** Q8_1: s = d·Σq of block j of row b (rounded to f16, as llama.cpp stores it). */
    public float blockSum(int b, int j) {
        return sums[b * blocksPerRow + j];
    }

    /** Q8_K: Σq of the 16 levels {@code 16g..16g+15} of block j of row b. */
    public int groupSum(int b, int j, int g) {
        return (int) sums[(b * blocksPerRow + j) * 16 + g];
    }

    /**
     * Q8_K: Σq of the 32 levels of each sub-block s (s = 0..7) of block j, at {@code (row*blocks + j)*8 +
     * subBlockSlot(s)}: in the order 0, 4, 1, 5, 2, 6, 3, 7, the lane order in which the Q4_K kernel unpacks the
     * eight 6-bit mins from one 64-bit word into int lanes.
     */
    int[] subBlockSumArray() {
        return subBlockSums;
    }

    /** Where sub-block s's sum sits among a block's eight in {@link #subBlockSumArray}. */
    static int subBlockSlot(int s) {
        return (s & 3) * 2 + (s >> 2);
    }

    float[] levelArray() {
        return levels;
    }

    /**
     * Q8_0 and Q8_K: the levels again as shorts, each run of 32 (a Q8_0 block; a K-quant sub-block) as its 16
     * even-indexed levels then its 16 odd-indexed ones, at the same offsets as {@link #values()}: the Q4_0 kernel's
     * 16-bit path takes elements 2k, 2k+16, 2k+1, 2k+17 from one short of packed nibbles, which are the four 8-short
     * quarters of the same layout; the Q4_K kernel's takes the even and odd elements of two sub-blocks from one
     * short of packed nibbles.
     */
    short[] pairLevelArray() {
        return pairLevels;
    }

    /**
     * Q8_0: per block 8 shorts, lane k = 8·(q[2k] + q[2k+16] + q[2k+1] + q[2k+17]), at {@code offset(row)/4 + 8j}:
     * what Q4_0's −8 per nibble takes from lane k of its 16-bit products, subtracted once instead of per nibble.
     */
    short[] nibbleOffsetArray() {
        return nibbleOffsets;
    }

    /**
     * Q8_0: {@link #pairLevelArray} with each pair of blocks (2p, 2p+1) interleaved by quarters, at the same
     * offsets: shorts {@code 64p + 16c .. +7} are quarter c of block 2p, {@code 64p + 16c + 8 .. +15} quarter c of
     * block 2p+1 (a last odd block keeps the plain layout). Q4_0's 256-bit path holds two blocks' packed nibbles in
     * one vector of 16 shorts, block 2p in the low half, so the activations each nibble position meets must sit
     * the same way.
     */
    short[] blockPairLevelArray() {
        return blockPairLevels;
    }

    /**
     * Q8_0: the levels as shorts in their natural order, at the same offsets as {@link #values()}: the Q8_0 kernel's
     * 16-bit path widens each 16-byte half of a weight block to 16 shorts and multiplies them with these.
     */
    short[] shortLevelArray() {
        return shortLevels;
    }

    /**
     * Rows that get {@link #broadcastPairArray}: decode's inputs (a matmul with more takes the prefill tiles, which
     * read {@link #dequantizedValues}).
     */
    public static final int BROADCAST_ROWS = 3;

    /**
     * Whether row b's levels are in {@link #broadcastPairArray} (Q8_0 and Q8_K rows below {@link #BROADCAST_ROWS},
     * 256-bit vectors).
     */
    public boolean hasBroadcastPairs(int b) {
        return broadcastPairs != null && b < BROADCAST_ROWS;
    }

    /**
     * Q8_0 and Q8_K, rows below {@link #BROADCAST_ROWS}, 256-bit vectors: for every pair of levels (q[2i], q[2i+1])
     * of the row, one int (from q[2i] its low 16 bits, from q[2i+1] its high 16, less 16 times the pair before: see
     * {@link Q4_0Interleaved#broadcastPairs}) at {@code broadcastPairOffset(row) + i}, which
     * {@link RowGroups} kernels broadcast to all eight int lanes as the operand of their 16-bit multiplies (eight rows'
     * lanes against the same two elements). Two bytes per level, so a decode input of up to 8192 columns stays in L1:
     * an earlier layout that stored the sixteen shorts already broadcast (16 bytes per level, 32 KiB at 2048 columns)
     * pushed the weights' stream out of L1 and halved the repacked kernels' speed once the weights came from memory.
     */
    int[] broadcastPairArray() {
        return broadcastPairs;
    }

    int broadcastPairOffset(int row) {
        return row * maxCols / 2;
    }

    /** Q8_0 with {@link #broadcastPairArray}: per block 8·Σq modulo 2^16, at {@code row·blocksPerRow + j}. */
    int[] blockOffsetArray() {
        return blockOffsets;
    }

    int[] blockScratch() {
        return blockScratch;
    }

    float[] dequantizedArray() {
        return dequantized;
    }

    float[] scaleArray() {
        return scales;
    }

    float[] sumArray() {
        return sums;
    }

    int blocksPerRow() {
        return blocksPerRow;
    }
}
