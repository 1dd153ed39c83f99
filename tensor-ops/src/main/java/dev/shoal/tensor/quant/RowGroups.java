package dev.shoal.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * A weight layout that keeps {@link #ROWS} rows together so that decode holds one row per vector lane (no lane
 * reductions per block): rows {@code [0, rows − rows % 8)} in groups, the rest in plain GGUF layout after them, the
 * whole exactly as large as the plain rows. One implementation per tensor type that has one.
 *
 * <p>Every method that computes a dot product gives a row the same float in a group and alone ({@link #dotRow},
 * {@link #dotPlainRow} repeat the group kernel's order and rounding), so a row's value never depends on how rows were
 * split over threads or ranks.
 */
public sealed interface RowGroups permits Q4_0Interleaved, Q4_KInterleaved {

    /** Rows per group. */
    int ROWS = 8;

    /** The layout for {@code type}, or null if it has none (or this JVM's vectors are not 256 bits wide). */
    static RowGroups forType(GgmlType type) {
        if (!supported()) {
            return null;
        }
        return switch (type) {
            case Q4_0 -> Q4_0Interleaved.INSTANCE;
            case Q4_K -> Q4_KInterleaved.INSTANCE;
            default -> null;
        };
    }

    /** Whether this JVM's kernels run on 256-bit vectors, the only width the group kernels are written for. */
    static boolean supported() {
        return Lanes.INT16;
    }

    /**
     * Repacks {@code rows} plain rows of {@code cols} columns, row r at {@code srcOff + r·srcRowBytes} in
     * {@code src}, into {@code dst} from {@code dstOff} (as many bytes as the plain rows).
     */
    void pack(MemorySegment src, long srcOff, long srcRowBytes, int rows, int cols, MemorySegment dst, long dstOff);

    /** Byte offset of group g of a matrix with {@code cols} columns from the start of the repacked data. */
    long groupOffset(int g, int cols);

    /**
     * {@code out[outOff + 8(g − g0) + r] = row 8g+r · input {@code row} of a}, for groups {@code [g0, g1)} of the
     * repacked data at {@code base}; {@code a} must have broadcast pairs for that row
     * ({@link QuantizedActivations#hasBroadcastPairs}).
     */
    void dotGroups(MemorySegment m, long base, QuantizedActivations a, int row, int cols, int g0, int g1, float[] out,
                   int outOff);

    /** Row r (0..7) of the group at {@code groupAt} · input {@code row}, in the group kernel's arithmetic. */
    float dotRow(MemorySegment m, long groupAt, int r, QuantizedActivations a, int row, int cols);

    /** A plain row at {@code rowAt} · input {@code row}, in the group kernel's arithmetic. */
    float dotPlainRow(MemorySegment m, long rowAt, QuantizedActivations a, int row, int cols);

    /** Row r (0..7) of the group at {@code groupAt} as floats: the plain kernel's {@code dequantize}, bit for bit. */
    void dequantizeRow(MemorySegment m, long groupAt, int r, int cols, float[] dst, int off);

    /** All eight rows of the group at {@code groupAt}, row r at {@code dst[off + r·stride ..]}: a prefill tile. */
    default void dequantizeGroup(MemorySegment m, long groupAt, int cols, float[] dst, int off, int stride) {
        for (int r = 0; r < ROWS; r++) {
            dequantizeRow(m, groupAt, r, cols, dst, off + r * stride);
        }
    }
}
