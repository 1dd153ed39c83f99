package dev.shoal.tensor.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * llama.cpp's activation quantizers on x86, reproduced operation for operation so that the levels and scales are
 * the ones llama.cpp multiplies with:
 * <ul>
 *   <li>Q8_0/Q8_1 ({@code quantize_row_q8_0}/{@code _q8_1}, AVX2): amax = max|x|, d = amax/127 stored as f16,
 *       q = round-half-even(x·(127/amax)); Q8_1 adds s = f16(d·Σq) with the unrounded d.</li>
 *   <li>Q8_K ({@code quantize_row_q8_K_ref}): max = the first element of largest magnitude (signed),
 *       iscale = -127/max, q = min(127, round-half-even(iscale·x)), d = 1/iscale in f32, and Σq per 16.</li>
 * </ul>
 * Every matmul input of a decode step goes through here on the calling thread while the pool's other threads wait
 * (49 rows per token on a 1B model, 2048 or 8192 columns), and every prompt row through prefill, so the arithmetic
 * runs in vectors of the preferred species: the scalar version took 15 µs per 2048 columns on a Zen 3 core, 1.7 ms
 * of a two-thread token's 38. Rounding is the float trick (v + 1.5·2^23) − 1.5·2^23, which rounds half to even
 * for |v| < 2^22 (here |v| ≤ 127) as {@link Math#rint} does, with v's sign put back so that levels in (−0.5, 0]
 * stay −0.0 as rint leaves them. The short and int layouts that permute a block's levels are written from an int
 * copy of the block: on eight-lane vectors by two-vector shuffles, 16-bit narrowings and a lane slice
 * ({@link #permute8}, {@link #broadcast8}); on other widths element by element ({@link #permuteEach}, which the
 * tests hold to {@code permute8}).
 *
 * <p>This is vector code that runs before the row-group kernels in every forward pass, so those must be compiled
 * first ({@link GroupWarmUp}, which {@code SliceModel}'s first pass runs): compiled after it, they boxed their vectors.
 */
final class ActivationQuantizer {

    /** The preferred species, at most 16 floats: Q8_K sums levels 16 at a time. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= 16
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final float ROUND = 0x1.8p23f;
    /** Eight-lane vectors: the short layouts are written by vector permutations, not element by element. */
    private static final boolean EIGHT = F.length() == 8;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorShuffle<Integer> EVENS = VectorShuffle.fromValues(I8, 0, 2, 4, 6, 8, 10, 12, 14);
    private static final VectorShuffle<Integer> ODDS = VectorShuffle.fromValues(I8, 1, 3, 5, 7, 9, 11, 13, 15);

    private ActivationQuantizer() {
    }

    static void quantize(ActivationType type, float[] x, int off, int n, QuantizedActivations a, int row) {
        switch (type) {
            case Q8_0 -> q8(x, off, n, a, row, false);
            case Q8_1 -> q8(x, off, n, a, row, true);
            case Q8_K -> q8K(x, off, n, a, row);
            case F32 -> throw new IllegalArgumentException("F32 activations are not quantized");
        }
    }

    private static void q8(float[] x, int off, int n, QuantizedActivations a, int row, boolean withSum) {
        final float[] lv = a.levelArray();
        final float[] dq = a.dequantizedArray();
        final float[] sc = a.scaleArray();
        final float[] sums = a.sumArray();
        final short[] pairs = a.pairLevelArray();
        final short[] blockPairs = a.blockPairLevelArray();
        final short[] shorts = a.shortLevelArray();
        final short[] offsets = a.nibbleOffsetArray();
        final int[] s = a.blockScratch();
        final boolean broadcast = a.hasBroadcastPairs(row);
        final int[] bp = broadcast ? a.broadcastPairArray() : null;
        final int bpBase = broadcast ? a.broadcastPairOffset(row) : 0;
        final int out = row * a.maxCols();
        final int blocks = row * a.blocksPerRow();
        final int lanes = F.length();
        for (int j = 0; j < n / 32; j++) {
            final int xb = off + 32 * j;
            final int o = out + 32 * j;
            final float amax = largestMagnitude(x, xb, 32);
            final float d = amax / 127f;
            final float dh = Float.float16ToFloat(Float.floatToFloat16(d));
            final FloatVector id = FloatVector.broadcast(F, amax != 0f ? 127f / amax : 0f);
            IntVector sv = IntVector.zero(I);
            for (int c = 0; c < 32; c += lanes) {
                final FloatVector v = FloatVector.fromArray(F, x, xb + c).mul(id);
                final FloatVector q = v.add(ROUND).sub(ROUND).reinterpretAsInts()
                        .or(v.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats();
                q.intoArray(lv, o + c);
                q.mul(dh).intoArray(dq, o + c);
                final IntVector qi = (IntVector) q.convertShape(VectorOperators.F2I, I, 0);
                qi.intoArray(s, c);
                sv = sv.add(qi);
            }
            final int sum = sv.reduceLanes(VectorOperators.ADD);
            sc[blocks + j] = dh;
            if (pairs != null) {
                // QuantizedActivations.blockPairLevelArray: quarter c of block j at 16c past its pair's start (+8
                // for the pair's second block), or at 8c in a last unpaired block
                final boolean paired = (j | 1) < n / 32;
                final int pairBase = paired ? out + 64 * (j >> 1) + 8 * (j & 1) : o;
                if (EIGHT) {
                    permute8(s, shorts, pairs, blockPairs, offsets, o, pairBase, paired ? 16 : 8, bp, bpBase + 16 * j);
                } else {
                    permuteEach(s, shorts, pairs, blockPairs, offsets, o, pairBase, paired ? 16 : 8, bp,
                            bpBase + 16 * j);
                }
            }
            if (withSum) {
                sums[blocks + j] = Float.float16ToFloat(Float.floatToFloat16(d * sum));
            }
            if (broadcast) {
                a.blockOffsetArray()[blocks + j] = (8 * sum) & 0xFFFF;
            }
        }
    }

    /**
     * max|x| over {@code x[xb, xb + n)} as {@link Math#max} of {@link Math#abs} gives it (a NaN if there is one): the
     * largest of the magnitudes' bits as ints, which order non-negative floats as floats and put NaNs above infinity
     * (a float max, with its NaN and signed-zero rules, is a compare and two blends per vector in C2's code).
     */
    private static float largestMagnitude(float[] x, int xb, int n) {
        IntVector m = FloatVector.fromArray(F, x, xb).reinterpretAsInts().and(0x7FFF_FFFF);
        for (int c = F.length(); c < n; c += F.length()) {
            m = m.max(FloatVector.fromArray(F, x, xb + c).reinterpretAsInts().and(0x7FFF_FFFF));
        }
        return Float.intBitsToFloat(m.reduceLanes(VectorOperators.MAX));
    }

    /**
     * The short and int layouts of one run of 32 levels held as ints in {@code s}, by eight-lane vector operations:
     * the levels as shorts at {@code shorts[o..]} (when not null), their evens then odds at {@code pairs[o..]}, the
     * same four quarters at {@code blockPairs[pairBase + quarterStride·c]} and Q4_0's lane offsets at
     * {@code offsets[o/4..]} (when not null), and the telescoped broadcast pairs at {@code bp[bpAt..]} (when not
     * null). The natural shorts read back as ints are the (even, odd) pairs; each group of four pairs is one
     * eight-int vector, and its telescoping one lane shift (a slice from zero) and a 16-bit narrowing.
     */
    static void permute8(int[] s, short[] shorts, short[] pairs, short[] blockPairs, short[] offsets, int o,
                                 int pairBase, int quarterStride, int[] bp, int bpAt) {
        final IntVector i0 = IntVector.fromArray(I8, s, 0);
        final IntVector i1 = IntVector.fromArray(I8, s, 8);
        final IntVector i2 = IntVector.fromArray(I8, s, 16);
        final IntVector i3 = IntVector.fromArray(I8, s, 24);
        // quarters 0..3 of the pair layout: evens of levels 0..15, evens of 16..31, odds of 0..15, odds of 16..31
        final IntVector e0 = i0.rearrange(EVENS, i1);
        final IntVector e1 = i2.rearrange(EVENS, i3);
        final IntVector o0 = i0.rearrange(ODDS, i1);
        final IntVector o1 = i2.rearrange(ODDS, i3);
        ((ShortVector) e0.convertShape(VectorOperators.I2S, S8, 0)).intoArray(pairs, o);
        ((ShortVector) e1.convertShape(VectorOperators.I2S, S8, 0)).intoArray(pairs, o + 8);
        ((ShortVector) o0.convertShape(VectorOperators.I2S, S8, 0)).intoArray(pairs, o + 16);
        ((ShortVector) o1.convertShape(VectorOperators.I2S, S8, 0)).intoArray(pairs, o + 24);
        if (shorts != null) {
            ((ShortVector) i0.convertShape(VectorOperators.I2S, S8, 0)).intoArray(shorts, o);
            ((ShortVector) i1.convertShape(VectorOperators.I2S, S8, 0)).intoArray(shorts, o + 8);
            ((ShortVector) i2.convertShape(VectorOperators.I2S, S8, 0)).intoArray(shorts, o + 16);
            ((ShortVector) i3.convertShape(VectorOperators.I2S, S8, 0)).intoArray(shorts, o + 24);
            ((ShortVector) e0.convertShape(VectorOperators.I2S, S8, 0)).intoArray(blockPairs, pairBase);
            ((ShortVector) e1.convertShape(VectorOperators.I2S, S8, 0)).intoArray(blockPairs, pairBase + quarterStride);
            ((ShortVector) o0.convertShape(VectorOperators.I2S, S8, 0)).intoArray(blockPairs, pairBase + 2 * quarterStride);
            ((ShortVector) o1.convertShape(VectorOperators.I2S, S8, 0)).intoArray(blockPairs, pairBase + 3 * quarterStride);
            ((ShortVector) e0.add(e1).add(o0).add(o1).lanewise(VectorOperators.LSHL, 3).convertShape(VectorOperators.I2S, S8, 0)).intoArray(offsets, o / 4);
        }
        if (bp != null) {
            broadcast8(s, bp, bpAt);
        }
    }

    /**
     * The telescoped broadcast pairs of one run of 32 levels held as ints in {@code s}, to {@code bp[at..at+16)}:
     * each group of four pairs is one eight-int vector q, and y = q − 16·(q two lanes down, zero for the first
     * pair), each lane cut to 16 bits and the two of a pair read as one int. (A method of its own: inside
     * {@link #permute8} C2 ran out of inlining budget and boxed the vectors.)
     */
    private static void broadcast8(int[] s, int[] bp, int at) {
        final IntVector zero = IntVector.zero(I8);
        for (int c = 0; c < 4; c++) {
            final IntVector q = IntVector.fromArray(I8, s, 8 * c);
            ((ShortVector) q.sub(zero.slice(6, q).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2S, S8, 0)).reinterpretAsInts()
                    .intoArray(bp, at + 4 * c);
        }
    }

    /**
     * {@link #permute8}'s layouts element by element, for vectors of other widths: the same arrays, offsets and
     * nulls, and {@link Q4_0Interleaved#broadcastPairs}'s telescoping (pair k is (s[2k], s[2k+1]) less 16 times
     * pair k−1 unless k is the first of its four).
     */
    static void permuteEach(int[] s, short[] shorts, short[] pairs, short[] blockPairs, short[] offsets, int o,
                            int pairBase, int quarterStride, int[] bp, int bpAt) {
        for (int k = 0; k < 16; k++) {
            final short even = (short) s[2 * k];
            final short odd = (short) s[2 * k + 1];
            pairs[o + k] = even;
            pairs[o + 16 + k] = odd;
            if (shorts != null) {
                shorts[o + 2 * k] = even;
                shorts[o + 2 * k + 1] = odd;
                blockPairs[pairBase + quarterStride * (k >> 3) + (k & 7)] = even;
                blockPairs[pairBase + quarterStride * ((k + 16) >> 3) + (k & 7)] = odd;
            }
        }
        if (shorts != null) {
            for (int k = 0; k < 8; k++) {
                offsets[o / 4 + k] = (short) (8 * (s[2 * k] + s[2 * k + 16] + s[2 * k + 1] + s[2 * k + 17]));
            }
        }
        if (bp != null) {
            for (int k = 0; k < 16; k++) {
                int even = s[2 * k];
                int odd = s[2 * k + 1];
                if ((k & 3) != 0) {
                    even -= 16 * s[2 * k - 2];
                    odd -= 16 * s[2 * k - 1];
                }
                bp[bpAt + k] = (even & 0xFFFF) | (odd << 16);
            }
        }
    }

    private static void q8K(float[] x, int off, int n, QuantizedActivations a, int row) {
        final float[] lv = a.levelArray();
        final float[] dq = a.dequantizedArray();
        final float[] sc = a.scaleArray();
        final float[] sums = a.sumArray();
        final int[] subSums = a.subBlockSumArray();
        final short[] pairs = a.pairLevelArray();
        final int[] s = a.blockScratch();
        final boolean broadcast = a.hasBroadcastPairs(row);
        final int[] bp = broadcast ? a.broadcastPairArray() : null;
        final int bpBase = broadcast ? a.broadcastPairOffset(row) : 0;
        final int out = row * a.maxCols();
        final int blocks = row * a.blocksPerRow();
        final int lanes = F.length();
        for (int j = 0; j < n / 256; j++) {
            final int xb = off + 256 * j;
            final int o = out + 256 * j;
            final float max = firstOfLargestMagnitude(x, xb, largestMagnitude(x, xb, 256));
            if (max == 0f) {
                java.util.Arrays.fill(lv, o, o + 256, 0f);
                java.util.Arrays.fill(dq, o, o + 256, 0f);
                java.util.Arrays.fill(pairs, o, o + 256, (short) 0);
                java.util.Arrays.fill(sums, (blocks + j) * 16, (blocks + j) * 16 + 16, 0f);
                java.util.Arrays.fill(subSums, (blocks + j) * 8, (blocks + j) * 8 + 8, 0);
                sc[blocks + j] = 0f;
                if (broadcast) {
                    java.util.Arrays.fill(bp, bpBase + 128 * j, bpBase + 128 * j + 128, 0);
                }
                continue;
            }
            final float iscale = -127f / max;
            final float d = 1f / iscale;
            final FloatVector is = FloatVector.broadcast(F, iscale);
            for (int r = 0; r < 256; r += 32) {
                for (int g = r; g < r + 32; g += 16) {
                    IntVector sv = IntVector.zero(I);
                    for (int c = g; c < g + 16; c += lanes) {
                        final FloatVector v = FloatVector.fromArray(F, x, xb + c).mul(is);
                        final FloatVector q = v.add(ROUND).sub(ROUND).reinterpretAsInts()
                                .or(v.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats().min(127f);
                        q.intoArray(lv, o + c);
                        q.mul(d).intoArray(dq, o + c);
                        final IntVector qi = (IntVector) q.convertShape(VectorOperators.F2I, I, 0);
                        qi.intoArray(s, c - r);
                        sv = sv.add(qi);
                    }
                    sums[(blocks + j) * 16 + g / 16] = sv.reduceLanes(VectorOperators.ADD);
                }
                if (EIGHT) {
                    permute8(s, null, pairs, null, null, o + r, 0, 0, bp, bpBase + 128 * j + r / 2);
                } else {
                    permuteEach(s, null, pairs, null, null, o + r, 0, 0, bp, bpBase + 128 * j + r / 2);
                }
            }
            for (int sub = 0; sub < 8; sub++) {
                subSums[(blocks + j) * 8 + QuantizedActivations.subBlockSlot(sub)] =
                        (int) (sums[(blocks + j) * 16 + 2 * sub] + sums[(blocks + j) * 16 + 2 * sub + 1]);
            }
            sc[blocks + j] = d;
        }
    }

    /**
     * The first of the 256 elements at {@code x[xb..]} whose magnitude is {@code amax} (their largest), with its
     * sign; 0 when all are zero. A NaN among them is passed over, as the scalar search ({@code |x| > amax}) does.
     */
    private static float firstOfLargestMagnitude(float[] x, int xb, float amax) {
        if (amax == amax) {
            for (int i = 0; i < 256; i++) {
                if (Math.abs(x[xb + i]) == amax) {
                    return amax == 0f ? 0f : x[xb + i];
                }
            }
        }
        float best = 0f;
        float max = 0f;
        for (int i = 0; i < 256; i++) {
            final float ax = Math.abs(x[xb + i]);
            if (ax > best) {
                best = ax;
                max = x[xb + i];
            }
        }
        return max;
    }
}
