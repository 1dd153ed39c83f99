package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;
import static dev.shoal.tensor.quant.BlockIo.nearestInt;
import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.G;
import static dev.shoal.tensor.quant.Lanes.INT16;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K: super-blocks of 256, 210 bytes = {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (d last). Each half h of
 * 128 elements uses ql[64h..64h+64), qh[32h..32h+32) and scales[8h..8h+8). For l = 0..31 of a half, qh[l] carries
 * the top 2 bits of four elements: bits 0-1 for element l (low nibble of ql[l]), 2-3 for l+32 (low nibble of
 * ql[l+32]), 4-5 for l+64 (high nibble of ql[l]), 6-7 for l+96 (high nibble of ql[l+32]). Every 16 elements
 * share one scale; value = (d*sc)*(q - 32).
 */
final class Q6_KKernel implements QuantKernel {

    private static final int QK = 256;
    private static final int BLOCK = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /**
     * The scale of each int lane of {@link #dotQuantized16}'s sums, from a vector of scales 2t.. of a half: lanes 0-3
     * hold elements 0-15 of quarter t (scale 2t), lanes 4-7 elements 16-31 (scale 2t+1); RUNS2 the same for
     * quarter t+2 (scales 2t+4, 2t+5).
     */
    private static final VectorShuffle<Integer> RUNS0 = VectorShuffle.fromValues(I8, 0, 0, 0, 0, 1, 1, 1, 1);
    private static final VectorShuffle<Integer> RUNS2 = VectorShuffle.fromValues(I8, 4, 4, 4, 4, 5, 5, 5, 5);

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    /** The 6-bit level (0..63) of element {@code e} (0..255) of the block at {@code at}. */
    private static int level(MemorySegment src, long at, int e) {
        int half = e >> 7;
        int k = e & 127;
        int l = k & 31;
        int quarter = k >> 5;
        int ql = BlockIo.u8(src, at + 64 * half + l + 32 * (quarter & 1)) >>> (4 * (quarter >> 1));
        int qh = BlockIo.u8(src, at + QH + 32 * half + l) >>> (2 * quarter);
        return (ql & 0xF) | (qh & 3) << 4;
    }

    /** Scale index of element {@code e}: 8 per half, in 16-element runs. */
    private static int scaleIndex(int e) {
        return e >> 4;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at + D);
            for (int e = 0; e < QK; e++) {
                dst[dstOff + QK * b + e] = d * BlockIo.i8(src, at + SCALES + scaleIndex(e)) * (level(src, at, e) - 32);
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at + D);
            for (int e = 0; e < QK; e++) {
                float w = d * BlockIo.i8(src, at + SCALES + scaleIndex(e)) * (level(src, at, e) - 32);
                sum += w * x[xOff + QK * b + e];
            }
        }
        return sum;
    }

    /**
     * One quarter j (0..3) of a half at a time, one 16-element scale run per accumulation: quarter j takes its low 4
     * bits from the low (j < 2) or high nibbles of ql[32*(j&1) + l] and its top 2 bits from bits 2j, 2j+1 of qh[l].
     * Written as loops rather than unrolled: an unrolled body outgrows C2's inlining budget and the vectors box.
     */
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at + D);
            for (int half = 0; half < 2; half++) {
                long qh = at + QH + 32 * half;
                long scales = src.get(BlockIo.I64, at + SCALES + 8 * half);
                for (int j = 0; j < 4; j++) {
                    long ql = at + 64 * half + 32 * (j & 1);
                    int xq = xOff + QK * b + 128 * half + 32 * j;
                    for (int run = 0; run < 32; run += 16) {
                        FloatVector s = FloatVector.zero(F);
                        for (int g = run; g < run + 16; g += G) {
                            ByteVector lo = Lanes.shr(ByteVector.fromMemorySegment(B, src, ql + g, LE), 4 * (j >> 1));
                            ByteVector hi = Lanes.shr(ByteVector.fromMemorySegment(B, src, qh + g, LE), 2 * j);
                            ByteVector q = lo.and((byte) 0xF).or(Lanes.shl(hi, 4).and((byte) 0x30)).sub((byte) 32);
                            for (int p = 0; p < PARTS; p++) {
                                s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xq + g + p * L), s);
                            }
                        }
                        float scale = d * (byte) (scales >>> (8 * (2 * j + (run >> 4))));
                        acc = FloatVector.broadcast(F, scale).fma(s, acc);
                    }
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** (d·sc)·(q − 32) per 16-run, as {@link #dequantize} rounds. */
    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final float d = BlockIo.f16(src, at + D);
            for (int half = 0; half < 2; half++) {
                final long qh = at + QH + 32 * half;
                final long scales = src.get(BlockIo.I64, at + SCALES + 8 * half);
                for (int j = 0; j < 4; j++) {
                    final long ql = at + 64 * half + 32 * (j & 1);
                    final int y = dstOff + QK * b + 128 * half + 32 * j;
                    for (int run = 0; run < 32; run += 16) {
                        final FloatVector ds = FloatVector.broadcast(F, d * (byte) (scales >>> (8 * (2 * j + (run >> 4)))));
                        for (int g = run; g < run + 16; g += G) {
                            ByteVector lo = Lanes.shr(ByteVector.fromMemorySegment(B, src, ql + g, LE), 4 * (j >> 1));
                            ByteVector hi = Lanes.shr(ByteVector.fromMemorySegment(B, src, qh + g, LE), 2 * j);
                            ByteVector q = lo.and((byte) 0xF).or(Lanes.shl(hi, 4).and((byte) 0x30)).sub((byte) 32);
                            for (int p = 0; p < PARTS; p++) {
                                Lanes.toFloats(q, p).mul(ds).intoArray(dst, y + g + p * L);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public ActivationType activationType() {
        return ActivationType.Q8_K;
    }

    @Override
    public float dotQuantizedScalar(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int sumi = 0;
            for (int run = 0; run < 16; run++) {
                int si = 0;
                for (int e = 16 * run; e < 16 * run + 16; e++) {
                    si += (level(src, at, e) - 32) * (int) x[xo + QK * b + e];
                }
                sumi += BlockIo.i8(src, at + SCALES + run) * si;
            }
            sum += BlockIo.f16(src, at + D) * a.scale(row, b) * sumi;
        }
        return sum;
    }

    /**
     * As {@link #dot} on levels: sc·Σ(q-32)·x per 16-run summed into the super-block, one FMA with d·dx. Each group
     * of ql bytes is read once for both its nibbles (elements l+32j and l+64+32j), widened to ints, where a nibble
     * is a mask or a shift and the two high bits from qh a shift and a mask; against shifting bytes through 16-bit
     * lanes once per quarter this streamed 2.67 → 3.99 GB/s from DRAM and 2.86 → 4.66 from L2 on one core
     * ({@code MatVecBandwidthCheck Q6_K}). All four quarters in one body crossed C2's inlining budget.
     */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        if (PARTS == 2) {
            return dotQuantizedNarrow(src, offset, a, row, n);
        }
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        if (INT16) {
            return dotQuantized16(src, offset, a, row, n);
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            FloatVector sumi = FloatVector.zero(F);
            for (int half = 0; half < 2; half++) {
                final long qh = at + QH + 32 * half;
                final long scales = src.get(BlockIo.I64, at + SCALES + 8 * half);
                for (int j = 0; j < 2; j++) {
                    final long ql = at + 64 * half + 32 * j;
                    final int xq = xo + QK * b + 128 * half + 32 * j;
                    for (int run = 0; run < 32; run += 16) {
                        FloatVector low = FloatVector.zero(F);
                        FloatVector high = FloatVector.zero(F);
                        for (int g = run; g < run + 16; g += G) {
                            final ByteVector q = ByteVector.fromMemorySegment(B, src, ql + g, LE);
                            final ByteVector t = ByteVector.fromMemorySegment(B, src, qh + g, LE);
                            for (int p = 0; p < PARTS; p++) {
                                final IntVector iq = Lanes.toInts(q, p);
                                final IntVector it = Lanes.toInts(t, p).lanewise(VectorOperators.LSHR, 2 * j);
                                final int xg = xq + g + p * L;
                                low = level(iq.and(0xF), it.lanewise(VectorOperators.LSHL, 4))
                                        .fma(FloatVector.fromArray(F, x, xg), low);
                                high = level(iq.lanewise(VectorOperators.LSHR, 4), it)
                                        .fma(FloatVector.fromArray(F, x, xg + 64), high);
                            }
                        }
                        final int sc = 8 * (2 * j + (run >> 4));
                        sumi = low.fma(FloatVector.broadcast(F, BlockIo.i8Float((int) (scales >>> sc))), sumi);
                        sumi = high.fma(FloatVector.broadcast(F, BlockIo.i8Float((int) (scales >>> (sc + 32)))), sumi);
                    }
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at + D) * dx[so + b]).fma(sumi, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dotQuantized} in 16-bit integers on 256-bit vectors ({@link Lanes#INT16}), like Q4_K's. The 32 bytes
     * of ql (or qh) behind a quarter j of a half, read as 16 shorts, hold in lane k the even element 2k (low byte)
     * and the odd one 2k+1 (high byte), the order of {@link QuantizedActivations#pairLevelArray}: evens and odds
     * are masked out in place (shifts on int lanes, which take an immediate count), multiplied by their levels and
     * added, two products per lane (|·| ≤ 2·63·127); a row's lane pairs are summed into ints (four products, below
     * 2^15), so int lane m holds elements 4m..4m+3, lanes 0-3 one 16-element scale run and lanes 4-7 the next,
     * and take their int8 scales from one vector of the half's eight (a lane shuffle). The −32 of every level comes
     * off as 32·Σ scale·Σx over the runs (the activations' sums per 16). Per super-block the lanes are summed as
     * ints and scaled as {@link #dotQuantizedScalar} does, so the two agree bit for bit. Quarters t and t+2 (the two
     * nibbles of the same ql bytes) go together in a loop over t: with all four written out, the body was boxed in
     * a model's decode under {@code -XX:UseAVX=2} (C2's inlining budget); its shift counts are constants but for
     * one shift of qh by 2t.
     */
    private static float dotQuantized16(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        final short[] xs = a.pairLevelArray();
        final float[] sums = a.sumArray();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            IntVector sumi = IntVector.zero(I8);
            for (int h = 0; h < 2; h++) {
                final long ql = at + 64L * h;
                final int xb = xo + QK * b + 128 * h;
                final IntVector sc = (IntVector) ByteVector.fromMemorySegment(B8, src, at + SCALES + 8L * h, LE)
                        .convertShape(VectorOperators.B2I, I8, 0);
                // Σx per 16-element run of this half, as ints (exact: at most 16·127)
                final IntVector gs = (IntVector) FloatVector.fromArray(Lanes.F8, sums, (so + b) * 16 + 8 * h)
                        .convertShape(VectorOperators.F2I, I8, 0);
                // sumi is carried round the loops: only lanewise, resolved at this call site, is called on it
                sumi = sumi.lanewise(VectorOperators.SUB, sc.mul(gs).lanewise(VectorOperators.LSHL, 5));
                final IntVector wh = IntVector.fromMemorySegment(I8, src, at + QH + 32L * h, LE);
                for (int t = 0; t < 2; t++) {
                    // quarters t (low nibbles of ql[32t..32t+32)) and t+2 (their high nibbles); qh shifted so that
                    // quarter t's two bits sit at 0-1 (evens) and 8-9 (odds), quarter t+2's at 4-5 and 12-13
                    final int xq = xb + 32 * t;
                    final ShortVector v = ShortVector.fromMemorySegment(S16, src, ql + 32L * t, LE);
                    final IntVector w = v.reinterpretAsInts();
                    final IntVector ht = wh.lanewise(VectorOperators.LSHR, 2 * t);
                    final IntVector low = v.and((short) 0xF)
                            .or(ht.lanewise(VectorOperators.LSHL, 4).reinterpretAsShorts().and((short) 0x30))
                            .mul(ShortVector.fromArray(S16, xs, xq))
                            .add(w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                    .or(ht.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x30))
                                    .mul(ShortVector.fromArray(S16, xs, xq + 16)))
                            .reinterpretAsInts();
                    final IntVector high = w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                            .or(ht.reinterpretAsShorts().and((short) 0x30))
                            .mul(ShortVector.fromArray(S16, xs, xq + 64))
                            .add(w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().and((short) 0xF)
                                    .or(ht.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0x30))
                                    .mul(ShortVector.fromArray(S16, xs, xq + 80)))
                            .reinterpretAsInts();
                    // scales 2t.. of the half in lanes 0..: runs 2t, 2t+1 (quarter t) and 2t+4, 2t+5 (quarter t+2)
                    final IntVector runs = (IntVector) ByteVector
                            .fromMemorySegment(B8, src, at + SCALES + 8L * h + 2L * t, LE)
                            .convertShape(VectorOperators.B2I, I8, 0);
                    sumi = high.mul(0x10001).lanewise(VectorOperators.ASHR, 16).mul(runs.rearrange(RUNS2))
                            .add(low.mul(0x10001).lanewise(VectorOperators.ASHR, 16).mul(runs.rearrange(RUNS0))
                                    .add(sumi));
                }
            }
            sum += BlockIo.f16(src, at + D) * dx[so + b] * sumi.reduceLanes(VectorOperators.ADD);
        }
        return sum;
    }

    /**
     * {@link #dotQuantized} where vectors are 128 bits (two parts per byte group): bytes shifted through 16-bit
     * lanes once per quarter, as before the wider kernel changed, whose integer decode crossed C2's inlining budget
     * with two parts per group and boxed the vectors.
     */
    private static float dotQuantizedNarrow(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            FloatVector sumi = FloatVector.zero(F);
            for (int half = 0; half < 2; half++) {
                final long qh = at + QH + 32 * half;
                final long scales = src.get(BlockIo.I64, at + SCALES + 8 * half);
                for (int j = 0; j < 4; j++) {
                    final long ql = at + 64 * half + 32 * (j & 1);
                    final int xq = xo + QK * b + 128 * half + 32 * j;
                    for (int run = 0; run < 32; run += 16) {
                        FloatVector s = FloatVector.zero(F);
                        for (int g = run; g < run + 16; g += G) {
                            ByteVector lo = Lanes.shr(ByteVector.fromMemorySegment(B, src, ql + g, LE), 4 * (j >> 1));
                            ByteVector hi = Lanes.shr(ByteVector.fromMemorySegment(B, src, qh + g, LE), 2 * j);
                            ByteVector q = lo.and((byte) 0xF).or(Lanes.shl(hi, 4).and((byte) 0x30)).sub((byte) 32);
                            for (int p = 0; p < PARTS; p++) {
                                s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xq + g + p * L), s);
                            }
                        }
                        sumi = FloatVector.broadcast(F,
                                BlockIo.i8Float((int) (scales >>> (8 * (2 * j + (run >> 4)))))).fma(s, sumi);
                    }
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at + D) * dx[so + b]).fma(sumi, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** q − 32 as floats, from ints holding the low nibble in bits 0-3 and the two high bits in bits 4-5 of {@code top}. */
    private static FloatVector level(IntVector low, IntVector top) {
        return (FloatVector) low.or(top.and(0x30)).sub(32).convertShape(VectorOperators.I2F, F, 0);
    }

    /**
     * ggml's {@code quantize_row_q6_K_ref}: a symmetric 6-bit fit per 16 elements, then the 16 scales quantized
     * to int8 against d = -max/128 (max = the scale of largest magnitude), then the levels recomputed.
     */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q6_K, n);
        byte[] levels = new byte[QK];
        float[] scales = new float[16];
        for (int b = 0; b < n / QK; b++) {
            int xb = srcOff + QK * b;
            long at = offset + (long) BLOCK * b;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                scales[ib] = QuantSearch.symmetric(16, 32, src, xb + 16 * ib, levels, 16 * ib);
                if (Math.abs(scales[ib]) > maxAbsScale) {
                    maxAbsScale = Math.abs(scales[ib]);
                    maxScale = scales[ib];
                }
            }
            if (maxAbsScale < QuantSearch.GROUP_MAX_EPS) {
                dst.asSlice(at, BLOCK).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            BlockIo.putF16(dst, at + D, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) {
                BlockIo.putU8(dst, at + SCALES + ib, Math.min(127, nearestInt(iscale * scales[ib])));
            }
            for (int j = 0; j < 16; j++) {
                float d = BlockIo.f16(dst, at + D) * BlockIo.i8(dst, at + SCALES + j);
                if (d == 0f) {
                    continue;
                }
                for (int i = 0; i < 16; i++) {
                    levels[16 * j + i] = (byte) (Math.clamp(nearestInt(src[xb + 16 * j + i] / d), -32, 31) + 32);
                }
            }
            store(levels, dst, at);
        }
    }

    private static void store(byte[] lv, MemorySegment dst, long at) {
        for (int half = 0; half < 2; half++) {
            int e = 128 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = lv[e + l];
                int q2 = lv[e + l + 32];
                int q3 = lv[e + l + 64];
                int q4 = lv[e + l + 96];
                BlockIo.putU8(dst, at + 64 * half + l, (q1 & 0xF) | (q3 & 0xF) << 4);
                BlockIo.putU8(dst, at + 64 * half + l + 32, (q2 & 0xF) | (q4 & 0xF) << 4);
                BlockIo.putU8(dst, at + QH + 32 * half + l, (q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }
}
