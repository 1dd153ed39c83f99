package dev.shoal.tensor.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prefill in 16-bit integers for 4-bit weights (Q4_0 against Q8_0 activations, Q4_K against Q8_K): an outer product
 * over panels of {@link #TOKENS} inputs in which the dot of each 32-column block (Q4_K: sub-block) stays an exact
 * integer, the way llama.cpp keeps it, on 256-bit vectors ({@link #supported}). {@link Q4_0Panels} and
 * {@link Q4_KPanels} fill the weight tiles.
 *
 * <p>Why integers: a weight level is −8..7 (Q4_0) or 0..15 (Q4_K) and an activation level −127..127, so a product
 * fits 11 bits and the sum of 16 of them 15 bits. One {@code vpmullw} + {@code vpaddw} does 16 multiply-adds where
 * a float FMA does 8; on Zen 3 (one 16-bit multiply per cycle against two FMAs, so the same peak) this kernel keeps
 * its multiplier busier: 86–88 against 65–67 G operations/s from cache (a throw-away harness, 12 rows × 128 tokens
 * × 2048 columns, one core), 73–80 against 57–62 on a repacked 1B-sized matrix, tiles and input layout included.
 * Two threads of it on the anchor machine's two vCPUs gained nothing over two of float panels (see
 * {@code SliceModel.MatmulTask}).
 *
 * <p>Shapes (all arrays are the caller's scratch, reused across calls: {@link PanelScratch}):
 * <ul>
 *   <li><b>weight tile</b> {@code int[]}: eight rows side by side. For block b (32 columns; a Q4_K sub-block) and
 *       pair p = 0..15 (columns 2p and 2p+1 of the block) the ints {@code tile[(16b + p)·8 + lane]}, lane = row in
 *       the tile, each two 16-bit levels (column 2p low, 2p+1 high), and the rows' block scales at
 *       {@code scales[8b + lane]} (Q4_0: d; Q4_K: d·sc);</li>
 *   <li><b>input panels</b> {@code short[]}: panel j holds inputs {@code 16j..16j+15}; for block b and pair p, 32
 *       shorts at {@code ((j·blocks + b)·16 + p)·32}: inputs 0–7 of the panel as (column 2p, column 2p+1) pairs,
 *       then inputs 8–15. One 16-lane load is eight inputs × two columns, so a broadcast weight pair multiplies
 *       both columns of eight inputs, and each lane sums only even or only odd columns (16 products per block:
 *       within 16 bits);</li>
 *   <li><b>input scales</b> {@code float[]}: d of block b of the panel's input t at {@code (j·blocks + b)·16 + t}
 *       (Q8_K: its super-block's d, the same for eight blocks).</li>
 * </ul>
 * At the end of a block the two 16-bit halves of each int lane are added in 32 bits (the block's integer dot per
 * row and input, exact), converted to float and accumulated as {@code fma(Σ, dw·dx, acc)}.
 */
public final class Int16Panels {

    /** Inputs per panel: two 16-lane short vectors of (even, odd) column pairs. */
    public static final int TOKENS = 16;
    /** Rows side by side in a weight tile. */
    public static final int TILE_ROWS = 8;
    /** Rows per {@link #panel4} call. */
    public static final int ROWS = 4;

    private static final int QK = 32;
    private static final int PAIRS = QK / 2;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    private Int16Panels() {
    }

    /** Whether this JVM's kernels run at 256 bits, the only width these are written for. */
    public static boolean supported() {
        return Lanes.INT16;
    }

    /** Panels of {@link #TOKENS} inputs that {@code count} inputs fill, the last one perhaps in part. */
    public static int panels(int count) {
        return (count + TOKENS - 1) / TOKENS;
    }

    /**
     * Lays inputs {@code 0..count-1} of {@code a} (Q8_0 or Q8_K, {@code cols} columns) out as input panels and their
     * scales (per 32-column block);
     * inputs past {@code count} in the last panel are zeros. Returns the number of panels.
     */
    public static int layInputs(QuantizedActivations a, int count, int cols, short[] xi, float[] dx) {
        if (a.type() != ActivationType.Q8_0 && a.type() != ActivationType.Q8_K) {
            throw new IllegalArgumentException("16-bit panels take Q8_0 or Q8_K activations, not " + a.type());
        }
        // Q8_K has one scale per 256 columns, so eight 32-column blocks share it
        final int perScale = a.type() == ActivationType.Q8_K ? 8 : 1;
        final float[] q = a.values();
        final float[] d = a.scaleArray();
        final int blocks = cols / QK;
        final int perRow = a.blocksPerRow();
        final int panels = panels(count);
        for (int j = 0; j < panels; j++) {
            for (int t = 0; t < TOKENS; t++) {
                final int token = j * TOKENS + t;
                final int at = ((t >> 3) << 4) + ((t & 7) << 1);
                final int src = token < count ? a.offset(token) : -1;
                for (int b = 0; b < blocks; b++) {
                    final int base = (j * blocks + b) * PAIRS * 2 * TOKENS + at;
                    dx[(j * blocks + b) * TOKENS + t] = src < 0 ? 0f : d[token * perRow + b / perScale];
                    for (int p = 0; p < PAIRS; p++) {
                        final int o = base + p * 2 * TOKENS;
                        if (src < 0) {
                            xi[o] = 0;
                            xi[o + 1] = 0;
                        } else {
                            xi[o] = (short) q[src + b * QK + 2 * p];
                            xi[o + 1] = (short) q[src + b * QK + 2 * p + 1];
                        }
                    }
                }
            }
        }
        return panels;
    }

    /**
     * Rows {@code lane0..lane0+3} of a weight tile against input panel {@code panel} of {@code blocks} blocks:
     * {@code acc[i·16 + t]} = row i · input t. {@code sums} is scratch of 64 ints.
     */
    public static void panel4(int[] tile, float[] scales, int lane0, short[] xi, float[] dx, int panel, int blocks,
                              int[] sums, float[] acc) {
        java.util.Arrays.fill(acc, 0, ROWS * TOKENS, 0f);
        final int l1 = lane0 + 1;
        final int l2 = lane0 + 2;
        final int l3 = lane0 + 3;
        for (int b = 0; b < blocks; b++) {
            ShortVector a0 = ShortVector.zero(S);
            ShortVector b0 = ShortVector.zero(S);
            ShortVector a1 = ShortVector.zero(S);
            ShortVector b1 = ShortVector.zero(S);
            ShortVector a2 = ShortVector.zero(S);
            ShortVector b2 = ShortVector.zero(S);
            ShortVector a3 = ShortVector.zero(S);
            ShortVector b3 = ShortVector.zero(S);
            final int x0 = (panel * blocks + b) * PAIRS * 2 * TOKENS;
            final int w0 = PAIRS * b * TILE_ROWS;
            for (int p = 0; p < PAIRS; p++) {
                final int at = x0 + p * 2 * TOKENS;
                final int wp = w0 + p * TILE_ROWS;
                final ShortVector lo = ShortVector.fromArray(S, xi, at);
                final ShortVector hi = ShortVector.fromArray(S, xi, at + TOKENS);
                final ShortVector v0 = IntVector.broadcast(I, tile[wp + lane0]).reinterpretAsShorts();
                a0 = lo.mul(v0).add(a0);
                b0 = hi.mul(v0).add(b0);
                final ShortVector v1 = IntVector.broadcast(I, tile[wp + l1]).reinterpretAsShorts();
                a1 = lo.mul(v1).add(a1);
                b1 = hi.mul(v1).add(b1);
                final ShortVector v2 = IntVector.broadcast(I, tile[wp + l2]).reinterpretAsShorts();
                a2 = lo.mul(v2).add(a2);
                b2 = hi.mul(v2).add(b2);
                final ShortVector v3 = IntVector.broadcast(I, tile[wp + l3]).reinterpretAsShorts();
                a3 = lo.mul(v3).add(a3);
                b3 = hi.mul(v3).add(b3);
            }
            a0.reinterpretAsInts().intoArray(sums, 0);
            b0.reinterpretAsInts().intoArray(sums, 8);
            a1.reinterpretAsInts().intoArray(sums, 16);
            b1.reinterpretAsInts().intoArray(sums, 24);
            a2.reinterpretAsInts().intoArray(sums, 32);
            b2.reinterpretAsInts().intoArray(sums, 40);
            a3.reinterpretAsInts().intoArray(sums, 48);
            b3.reinterpretAsInts().intoArray(sums, 56);
            // the fold takes the sums through an array: written as a helper taking the eight vectors, C2 passed its
            // inlining node budget here and boxed them
            foldBlock(sums, scales, TILE_ROWS * b + lane0, dx, (panel * blocks + b) * TOKENS, acc);
        }
    }

    /**
     * {@code acc[i·16 + t] += float(low half + high half of sums[i·16 + t]) · (scales[s + i] · dx[x + t])}: the
     * block's integer dot of row i and input t, scaled. One method with no vector helpers (a helper C2 compiled on
     * its own first would not inline, and its vectors would box).
     */
    static void foldBlock(int[] sums, float[] scales, int s, float[] dx, int x, float[] acc) {
        final FloatVector dLo = FloatVector.fromArray(F, dx, x);
        final FloatVector dHi = FloatVector.fromArray(F, dx, x + 8);
        for (int h = 0; h < 2 * ROWS; h++) {
            final IntVector v = IntVector.fromArray(I, sums, 8 * h);
            final IntVector sum = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(v.lanewise(VectorOperators.ASHR, 16));
            final FloatVector scale = ((h & 1) == 0 ? dLo : dHi).mul(scales[s + (h >> 1)]);
            ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(scale, FloatVector.fromArray(F, acc, 8 * h))
                    .intoArray(acc, 8 * h);
        }
    }
}
