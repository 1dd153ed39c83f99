package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 weight tiles for {@link Int16Panels}: eight rows side by side, for block b and pair p the ints
 * {@code tile[(16b + p)·8 + lane]} of two 16-bit levels (column 2p low, 2p+1 high; nibble − 8), and each row's d at
 * {@code scales[8b + lane]}.
 */
public final class Q4_0Panels {

    private static final int QK = 32;
    private static final int PAIRS = QK / 2;
    private static final int BLOCK = 18;
    private static final int TILE_ROWS = Int16Panels.TILE_ROWS;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    private Q4_0Panels() {
    }

    /**
     * One plain GGUF Q4_0 row of {@code cols} columns at {@code offset} into lane {@code lane} of a weight tile.
     * Element e &lt; 16 of a block is the low nibble of byte e, element 16 + e its high nibble, each less 8.
     */
    public static void tilePlainRow(MemorySegment src, long offset, int cols, int[] tile, float[] scales, int lane) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        for (int b = 0; b < cols / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            scales[TILE_ROWS * b + lane] = BlockIo.f16(src, at);
            for (int p = 0; p < PAIRS; p++) {
                final int e = 2 * p;
                final int shift = e < 16 ? 0 : 4;
                final int lo = ((src.get(ValueLayout.JAVA_BYTE, at + 2 + (e & 15)) >> shift) & 0xF) - 8;
                final int hi = ((src.get(ValueLayout.JAVA_BYTE, at + 2 + ((e + 1) & 15)) >> shift) & 0xF) - 8;
                tile[(PAIRS * b + p) * TILE_ROWS + lane] = (lo & 0xFFFF) | (hi << 16);
            }
        }
    }

    /**
     * Row {@code r} of a {@link Q4_0Interleaved} group at {@code groupAt} into lane {@code lane} of a weight tile.
     * Part t's int for row r holds, for k = 0..3, element 8t+2k in bits 4k and element 8t+2k+1 in bits 16+4k: pair
     * 4t+k.
     */
    public static void tileGroupRow(MemorySegment m, long groupAt, int r, int cols, int[] tile, float[] scales,
                                    int lane) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) Q4_0Interleaved.GROUP_BLOCK_BYTES * b;
            scales[TILE_ROWS * b + lane] = BlockIo.f16(m, at + 128 + 2L * r);
            for (int t = 0; t < 4; t++) {
                final int w = m.get(I32, at + 32L * t + 4L * r);
                for (int k = 0; k < 4; k++) {
                    final int lo = ((w >>> (4 * k)) & 0xF) - 8;
                    final int hi = ((w >>> (16 + 4 * k)) & 0xF) - 8;
                    tile[(PAIRS * b + 4 * t + k) * TILE_ROWS + lane] = (lo & 0xFFFF) | (hi << 16);
                }
            }
        }
    }

    /**
     * A whole {@link Q4_0Interleaved} group into a weight tile: part t of a block is one 8-lane int vector (lane =
     * row), and its pair k is that vector shifted right by 4k, masked to the two nibbles, less 8 per 16-bit half.
     */
    public static void tileGroup(MemorySegment m, long groupAt, int cols, int[] tile, float[] scales) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) Q4_0Interleaved.GROUP_BLOCK_BYTES * b;
            for (int r = 0; r < TILE_ROWS; r++) {
                scales[TILE_ROWS * b + r] = BlockIo.f16(m, at + 128 + 2L * r);
            }
            for (int t = 0; t < 4; t++) {
                final IntVector w = IntVector.fromMemorySegment(Int16Panels.I, m, at + 32L * t, LE);
                for (int k = 0; k < 4; k++) {
                    w.lanewise(VectorOperators.LSHR, 4 * k).and(0x000F000F).reinterpretAsShorts().sub((short) 8)
                            .reinterpretAsInts().intoArray(tile, (PAIRS * b + 4 * t + k) * TILE_ROWS);
                }
            }
        }
    }
}
