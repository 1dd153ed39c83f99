package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weight tiles for {@link Int16Panels}, and the pass that takes the mins off.
 *
 * <p>A Q4_K weight is {@code d·sc·q − dmin·m} with q = 0..15 and 6-bit sc, m per 32-column sub-block. The tile holds
 * the nibbles q as they are (pairs of 16-bit levels per int, as {@link Q4_0Panels}: sub-block j, pair p at
 * {@code tile[(16j + p)·8 + lane]}), and per row and sub-block {@code scales[8j + lane] = d·sc} and
 * {@code negMins[8j + lane] = −dmin·m}. {@link Int16Panels#panel4} then sums {@code d·sc·dx·Σq·x} (each sub-block's
 * Σq·x exact: 16 products of at most 15·127 per 16-bit lane), and {@link #minsPass} adds
 * {@code Σ_j negMins[j]·(dx·Σx_j)}, with {@code dx·Σx_j} per input and sub-block laid out by {@link #layInputSums}.
 */
public final class Q4_KPanels {

    private static final int QK = 256;
    private static final int SUB = 32;
    private static final int PAIRS = SUB / 2;
    private static final int BLOCK = 144;
    private static final int TILE_ROWS = Int16Panels.TILE_ROWS;
    private static final int TOKENS = Int16Panels.TOKENS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    private Q4_KPanels() {
    }

    /**
     * For inputs {@code 0..count-1} of {@code a} (Q8_K): {@code sums[(j·subs + s)·16 + t] = d·Σq} of sub-block s
     * (32 columns) of input {@code 16j + t}, zeros past {@code count}; {@code subs = cols / 32}.
     */
    public static void layInputSums(QuantizedActivations a, int count, int cols, float[] sums) {
        if (a.type() != ActivationType.Q8_K) {
            throw new IllegalArgumentException("Q4_K panels take Q8_K activations, not " + a.type());
        }
        final float[] q = a.values();
        final int subs = cols / SUB;
        final int panels = Int16Panels.panels(count);
        for (int j = 0; j < panels; j++) {
            for (int t = 0; t < TOKENS; t++) {
                final int token = j * TOKENS + t;
                for (int s = 0; s < subs; s++) {
                    float v = 0f;
                    if (token < count) {
                        final int at = a.offset(token) + SUB * s;
                        int sum = 0;
                        for (int e = 0; e < SUB; e++) {
                            sum += (int) q[at + e];
                        }
                        v = sum * a.scale(token, s / 8);
                    }
                    sums[(j * subs + s) * TOKENS + t] = v;
                }
            }
        }
    }

    /** One plain GGUF Q4_K row of {@code cols} columns at {@code offset} into lane {@code lane} of a tile. */
    public static void tilePlainRow(MemorySegment src, long offset, int cols, int[] tile, float[] scales,
                                    float[] negMins, int lane) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        for (int b = 0; b < cols / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final float d = BlockIo.f16(src, at);
            final float dmin = BlockIo.f16(src, at + 2);
            for (int s = 0; s < 8; s++) {
                final int j = 8 * b + s;
                scales[TILE_ROWS * j + lane] = d * KScales.scale(src, at + 4, s);
                negMins[TILE_ROWS * j + lane] = -(dmin * KScales.min(src, at + 4, s));
                // sub-block s: the low (even s) or high (odd s) nibbles of the 32 bytes of chunk s/2
                final long qs = at + 16 + 32L * (s >> 1);
                final int shift = 4 * (s & 1);
                for (int p = 0; p < PAIRS; p++) {
                    final int lo = (src.get(ValueLayout.JAVA_BYTE, qs + 2 * p) >> shift) & 0xF;
                    final int hi = (src.get(ValueLayout.JAVA_BYTE, qs + 2 * p + 1) >> shift) & 0xF;
                    tile[(PAIRS * j + p) * TILE_ROWS + lane] = lo | (hi << 16);
                }
            }
        }
    }

    /** Row {@code r} of a {@link Q4_KInterleaved} group at {@code groupAt} into lane {@code lane} of a tile. */
    public static void tileGroupRow(MemorySegment m, long groupAt, int r, int cols, int[] tile, float[] scales,
                                    float[] negMins, int lane) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int blocks = cols / QK;
        for (int b = 0; b < blocks; b++) {
            groupRowScales(m, groupAt, blocks, b, r, scales, negMins, lane);
            for (int s = 0; s < 8; s++) {
                final int j = 8 * b + s;
                for (int t = 0; t < 4; t++) {
                    final int w = m.get(I32, groupAt + 128L * j + 32L * t + 4L * r);
                    for (int k = 0; k < 4; k++) {
                        tile[(PAIRS * j + 4 * t + k) * TILE_ROWS + lane] = (w >>> (4 * k)) & 0x000F000F;
                    }
                }
            }
        }
    }

    /** Row r's d·sc and −dmin·m of super-block b's eight sub-blocks into lane {@code lane}. */
    private static void groupRowScales(MemorySegment m, long groupAt, int blocks, int b, int r, float[] scales,
                                       float[] negMins, int lane) {
        final float d = BlockIo.f16(m, groupAt + Q4_KInterleaved.dAt(blocks, b) + 2L * r);
        final float dmin = BlockIo.f16(m, groupAt + Q4_KInterleaved.dminAt(blocks, b) + 2L * r);
        for (int s = 0; s < 8; s++) {
            final int j = 8 * b + s;
            scales[TILE_ROWS * j + lane] = d * Q4_KInterleaved.scaleOf(m, groupAt, blocks, r, j);
            negMins[TILE_ROWS * j + lane] = -(dmin * Q4_KInterleaved.minOf(m, groupAt, blocks, r, j));
        }
    }

    /**
     * A whole {@link Q4_KInterleaved} group into a tile: sub-block j's nibbles are laid out as a
     * {@link Q4_0Interleaved} block, so part t is one 8-lane int vector and pair 4t+k that vector shifted by 4k and
     * masked (no offset: Q4_K levels are 0..15).
     */
    public static void tileGroup(MemorySegment m, long groupAt, int cols, int[] tile, float[] scales, float[] negMins) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int blocks = cols / QK;
        for (int b = 0; b < blocks; b++) {
            for (int r = 0; r < TILE_ROWS; r++) {
                groupRowScales(m, groupAt, blocks, b, r, scales, negMins, r);
            }
            for (int s = 0; s < 8; s++) {
                final int j = 8 * b + s;
                for (int t = 0; t < 4; t++) {
                    final IntVector w = IntVector.fromMemorySegment(Int16Panels.I, m, groupAt + 128L * j + 32L * t, LE);
                    for (int k = 0; k < 4; k++) {
                        w.lanewise(VectorOperators.LSHR, 4 * k).and(0x000F000F)
                                .intoArray(tile, (PAIRS * j + 4 * t + k) * TILE_ROWS);
                    }
                }
            }
        }
    }

    /**
     * {@code acc[i·16 + t] += Σ_j negMins[8j + lane0 + i] · sums[(panel·subs + j)·16 + t]} for the four rows
     * {@code lane0..lane0+3} and the 16 inputs of panel {@code panel}: the mins of {@link Int16Panels#panel4}'s
     * result. The eight accumulators stay in registers over the sub-blocks.
     */
    public static void minsPass(float[] negMins, int lane0, float[] sums, int panel, int subs, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector b0 = FloatVector.fromArray(F, acc, 8);
        FloatVector a1 = FloatVector.fromArray(F, acc, 16);
        FloatVector b1 = FloatVector.fromArray(F, acc, 24);
        FloatVector a2 = FloatVector.fromArray(F, acc, 32);
        FloatVector b2 = FloatVector.fromArray(F, acc, 40);
        FloatVector a3 = FloatVector.fromArray(F, acc, 48);
        FloatVector b3 = FloatVector.fromArray(F, acc, 56);
        for (int j = 0; j < subs; j++) {
            final int x = (panel * subs + j) * TOKENS;
            final int w = TILE_ROWS * j + lane0;
            final FloatVector lo = FloatVector.fromArray(F, sums, x);
            final FloatVector hi = FloatVector.fromArray(F, sums, x + 8);
            final FloatVector m0 = FloatVector.broadcast(F, negMins[w]);
            a0 = lo.fma(m0, a0);
            b0 = hi.fma(m0, b0);
            final FloatVector m1 = FloatVector.broadcast(F, negMins[w + 1]);
            a1 = lo.fma(m1, a1);
            b1 = hi.fma(m1, b1);
            final FloatVector m2 = FloatVector.broadcast(F, negMins[w + 2]);
            a2 = lo.fma(m2, a2);
            b2 = hi.fma(m2, b2);
            final FloatVector m3 = FloatVector.broadcast(F, negMins[w + 3]);
            a3 = lo.fma(m3, a3);
            b3 = hi.fma(m3, b3);
        }
        a0.intoArray(acc, 0);
        b0.intoArray(acc, 8);
        a1.intoArray(acc, 16);
        b1.intoArray(acc, 24);
        a2.intoArray(acc, 32);
        b2.intoArray(acc, 40);
        a3.intoArray(acc, 48);
        b3.intoArray(acc, 56);
    }
}
