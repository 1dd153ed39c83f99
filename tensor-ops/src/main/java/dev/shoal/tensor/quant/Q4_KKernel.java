package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;
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
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K: super-blocks of 256, 144 bytes = {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}. Eight sub-blocks of 32
 * each have a 6-bit scale sc and min m ({@link KScales}). qs is four runs of 32 bytes; run r holds sub-block 2r in
 * its low nibbles and 2r+1 in its high nibbles. value = (d*sc)*q - (dmin*m).
 */
final class Q4_KKernel implements QuantKernel {

    private static final int QK = 256;
    private static final int BLOCK = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    /** Right shifts that put byte j of a 64-bit word's low half in int lane 2j and of its high half in lane 2j+1. */
    private static final IntVector BYTE_SHIFTS = IntVector.fromArray(I8, new int[] {0, 0, 8, 8, 16, 16, 24, 24}, 0);

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            for (int r = 0; r < 4; r++) {
                float d1 = d * KScales.scale(src, at + SCALES, 2 * r);
                float m1 = min * KScales.min(src, at + SCALES, 2 * r);
                float d2 = d * KScales.scale(src, at + SCALES, 2 * r + 1);
                float m2 = min * KScales.min(src, at + SCALES, 2 * r + 1);
                int y = dstOff + QK * b + 64 * r;
                for (int l = 0; l < 32; l++) {
                    int q = BlockIo.u8(src, at + QS + 32 * r + l);
                    dst[y + l] = d1 * (q & 0xF) - m1;
                    dst[y + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * KScales.scale(src, at + SCALES, s);
                float ms = min * KScales.min(src, at + SCALES, s);
                int xs = xOff + QK * b + 32 * s;
                for (int l = 0; l < 32; l++) {
                    int q = (BlockIo.u8(src, at + QS + 32 * (s >> 1) + l) >>> (4 * (s & 1))) & 0xF;
                    sum += (ds * q - ms) * x[xs + l];
                }
            }
        }
        return sum;
    }

    /**
     * Per sub-block s: Σq·x and Σx, then (d*sc)·Σqx - (dmin*m)·Σx. One loop over the 8 sub-blocks (run s>>1,
     * nibble s&1) rather than an unrolled pair: the unrolled body outgrows C2's inlining budget and vectors box.
     */
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector accM = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            long low = KScales.low(src, at + SCALES);
            int high = KScales.high(src, at + SCALES);
            for (int s = 0; s < 8; s++) {
                long qs = at + QS + 32 * (s >> 1);
                int xs = xOff + QK * b + 32 * s;
                FloatVector sq = FloatVector.zero(F);
                FloatVector sx = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    ByteVector q = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1)).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xs + g + p * L);
                        sq = Lanes.toFloats(q, p).fma(xv, sq);
                        sx = xv.add(sx);
                    }
                }
                acc = FloatVector.broadcast(F, d * KScales.scale(low, high, s)).fma(sq, acc);
                accM = FloatVector.broadcast(F, min * KScales.min(low, high, s)).fma(sx, accM);
            }
        }
        return acc.lanewise(VectorOperators.SUB, accM).reduceLanes(VectorOperators.ADD);
    }

    /** (d·sc)·q − (dmin·m) per sub-block: a multiply then a subtract, as {@link #dequantize} rounds. */
    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final float d = BlockIo.f16(src, at);
            final float min = BlockIo.f16(src, at + 2);
            final long low = KScales.low(src, at + SCALES);
            final int high = KScales.high(src, at + SCALES);
            for (int s = 0; s < 8; s++) {
                final long qs = at + QS + 32 * (s >> 1);
                final int y = dstOff + QK * b + 32 * s;
                final FloatVector ds = FloatVector.broadcast(F, d * KScales.scale(low, high, s));
                final FloatVector ms = FloatVector.broadcast(F, min * KScales.min(low, high, s));
                for (int g = 0; g < 32; g += G) {
                    ByteVector q = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1)).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        Lanes.toFloats(q, p).mul(ds).sub(ms).intoArray(dst, y + g + p * L);
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
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int sumi = 0;
            int summ = 0;
            for (int s = 0; s < 8; s++) {
                int xs = xo + QK * b + 32 * s;
                int si = 0;
                for (int l = 0; l < 32; l++) {
                    int q = (BlockIo.u8(src, at + QS + 32 * (s >> 1) + l) >>> (4 * (s & 1))) & 0xF;
                    si += q * (int) x[xs + l];
                }
                sumi += KScales.scale(src, at + SCALES, s) * si;
                summ += KScales.min(src, at + SCALES, s) * (a.groupSum(row, b, 2 * s) + a.groupSum(row, b, 2 * s + 1));
            }
            float dx = a.scale(row, b);
            sum += BlockIo.f16(src, at) * dx * sumi - BlockIo.f16(src, at + 2) * dx * summ;
        }
        return sum;
    }

    /**
     * {@link #dotQuantized} where vectors are 128 bits (two parts per byte group): each run read once per nibble and
     * shifted through 16-bit lanes, as before the wider kernels changed. The wider kernels' integer decode takes
     * two parts per group here, and that crossed C2's inlining budget and boxed the vectors (7× slower).
     */
    private static float dotQuantizedNarrow(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int[] subSums = a.subBlockSumArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0f;
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final long low = KScales.low(src, at + SCALES);
            final int high = KScales.high(src, at + SCALES);
            final long sc = KScales.scales(low, high);
            final long mn = KScales.mins(low, high);
            final int ss = (so + b) * 8;
            FloatVector sumi = FloatVector.zero(F);
            float summ = 0f;
            for (int s = 0; s < 8; s++) {
                final long qs = at + QS + 32 * (s >> 1);
                final int xs = xo + QK * b + 32 * s;
                final int shift = 4 * (s & 1);
                FloatVector sq = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    ByteVector q = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), shift).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        sq = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xs + g + p * L), sq);
                    }
                }
                sumi = FloatVector.broadcast(F, KScales.level(sc, s)).fma(sq, sumi);
                summ += KScales.level(mn, s) * subSums[ss + QuantizedActivations.subBlockSlot(s)];
            }
            final float d = dx[so + b];
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at) * d).fma(sumi, acc);
            mins += BlockIo.f16(src, at + 2) * d * summ;
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins;
    }

    /**
     * 128-bit vectors take {@link #dotQuantizedNarrow}, 256-bit ones {@link #dotQuantized16}; on 512-bit ones, per
     * super-block: Σ over sub-blocks s of sc_s·Σq·x (levels, exact below 2^24), then ·dx·d; the mins come from
     * the activations' 32-level sums: dmin·dx·Σ m_s·Σx_s, the eight m_s·Σx_s as one 8-lane vector, so no Σx in
     * the loop. Each run of 32 bytes is read once for both its sub-blocks ({@link #dotQuantized2}).
     */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        if (PARTS == 2) {
            return dotQuantizedNarrow(src, offset, a, row, n);
        }
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
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
            final long low = KScales.low(src, at + SCALES);
            final int high = KScales.high(src, at + SCALES);
            final long sc = KScales.scales(low, high);
            FloatVector sumi = FloatVector.zero(F);
            for (int r = 0; r < 4; r++) {
                final long run = at + QS + 32 * r;
                final int xs = xo + QK * b + 64 * r;
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    final ByteVector q = ByteVector.fromMemorySegment(B, src, run + g, LE);
                    for (int p = 0; p < PARTS; p++) {
                        final IntVector i = Lanes.toInts(q, p);
                        lo = Lanes.lowNibbles(i).fma(FloatVector.fromArray(F, x, xs + g + p * L), lo);
                        hi = Lanes.highNibbles(i).fma(FloatVector.fromArray(F, x, xs + 32 + g + p * L), hi);
                    }
                }
                sumi = hi.fma(FloatVector.broadcast(F, KScales.level(sc, 2 * r + 1)),
                        lo.fma(FloatVector.broadcast(F, KScales.level(sc, 2 * r)), sumi));
            }
            acc = FloatVector.broadcast(F, BlockIo.f16Lookup(src, at)).mul(dx[so + b]).fma(sumi, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins(src, offset, a, row, n);
    }

    /**
     * Σ over super-blocks of dmin·dx·Σ_s m_s·Σx_s, the eight m_s·Σx_s of a super-block as one 8-lane integer
     * product (the mins unpacked as in {@link #dotQuantized16}, against the sums in
     * {@link QuantizedActivations#subBlockSlot} order), for the 512-bit body. A method of its own, called after the
     * main loop: inside that loop's body C2 ran out of inlining budget ({@code NodeCountInliningCutoff}) for the
     * byte-to-float conversion this used before and boxed its vectors; a call that is not inlined here costs one
     * call per row. The integer form has not been timed on a 512-bit machine.
     */
    private static float mins(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        final float[] dx = a.scaleArray();
        final int[] subSums = a.subBlockSumArray();
        final int so = row * a.blocksPerRow();
        FloatVector mins = FloatVector.zero(Lanes.F8);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b + SCALES;
            final long m = KScales.mins(KScales.low(src, at), KScales.high(src, at));
            mins = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_256, m).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, BYTE_SHIFTS).and(0xFF)
                            .mul(IntVector.fromArray(I8, subSums, (so + b) * 8))
                            .convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(Lanes.F8, BlockIo.f16Lookup(src, at - SCALES + 2)).mul(dx[so + b]), mins);
        }
        return mins.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dotQuantized} for two rows, so that two memory streams are in flight. Against reading each run
     * once per nibble (shifting the bytes through 16-bit lanes), summing the mins one scalar product at a time and
     * forming d·dx in a scalar register, this streamed 3.9–4.0 → 4.4–4.6 GB/s from DRAM and 5.4 → 6.1 from L2 on
     * one core ({@code MatVecBandwidthCheck Q4_K}); the mins as one vector were most of it from DRAM.
     */
    @Override
    public void dotQuantized2(MemorySegment src, long offA, long offB, QuantizedActivations a, int row, int n,
                              float[] out, int outA, int outB) {
        if (PARTS == 2) {
            out[outA] = dotQuantizedNarrow(src, offA, a, row, n);
            out[outB] = dotQuantizedNarrow(src, offB, a, row, n);
            return;
        }
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        if (INT16) {
            // one row at a time: two rows' 16-bit bodies crossed C2's inlining budget and boxed the vectors
            // (KernelSpeedCheck Q4_K: 8 MiB per mat-vec, 2.0-2.7 GB/s against 3.0-3.1 row by row)
            out[outA] = dotQuantized16(src, offA, a, row, n);
            out[outB] = dotQuantized16(src, offB, a, row, n);
            return;
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long atA = offA + (long) BLOCK * b;
            final long atB = offB + (long) BLOCK * b;
            final long lowA = KScales.low(src, atA + SCALES);
            final int highA = KScales.high(src, atA + SCALES);
            final long lowB = KScales.low(src, atB + SCALES);
            final int highB = KScales.high(src, atB + SCALES);
            final long scA = KScales.scales(lowA, highA);
            final long scB = KScales.scales(lowB, highB);
            FloatVector sumiA = FloatVector.zero(F);
            FloatVector sumiB = FloatVector.zero(F);
            for (int r = 0; r < 4; r++) {
                final long run = QS + 32 * r;
                final int xs = xo + QK * b + 64 * r;
                FloatVector loA = FloatVector.zero(F);
                FloatVector hiA = FloatVector.zero(F);
                FloatVector loB = FloatVector.zero(F);
                FloatVector hiB = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    final ByteVector qA = ByteVector.fromMemorySegment(B, src, atA + run + g, LE);
                    final ByteVector qB = ByteVector.fromMemorySegment(B, src, atB + run + g, LE);
                    for (int p = 0; p < PARTS; p++) {
                        final FloatVector xl = FloatVector.fromArray(F, x, xs + g + p * L);
                        final FloatVector xh = FloatVector.fromArray(F, x, xs + 32 + g + p * L);
                        final IntVector iA = Lanes.toInts(qA, p);
                        final IntVector iB = Lanes.toInts(qB, p);
                        loA = Lanes.lowNibbles(iA).fma(xl, loA);
                        hiA = Lanes.highNibbles(iA).fma(xh, hiA);
                        loB = Lanes.lowNibbles(iB).fma(xl, loB);
                        hiB = Lanes.highNibbles(iB).fma(xh, hiB);
                    }
                }
                sumiA = hiA.fma(FloatVector.broadcast(F, KScales.level(scA, 2 * r + 1)),
                        loA.fma(FloatVector.broadcast(F, KScales.level(scA, 2 * r)), sumiA));
                sumiB = hiB.fma(FloatVector.broadcast(F, KScales.level(scB, 2 * r + 1)),
                        loB.fma(FloatVector.broadcast(F, KScales.level(scB, 2 * r)), sumiB));
            }
            final FloatVector dxv = FloatVector.broadcast(F, dx[so + b]);
            accA = sumiA.fma(FloatVector.broadcast(F, BlockIo.f16Lookup(src, atA)).mul(dxv), accA);
            accB = sumiB.fma(FloatVector.broadcast(F, BlockIo.f16Lookup(src, atB)).mul(dxv), accB);
        }
        out[outA] = accA.reduceLanes(VectorOperators.ADD) - mins(src, offA, a, row, n);
        out[outB] = accB.reduceLanes(VectorOperators.ADD) - mins(src, offB, a, row, n);
    }

    /**
     * {@link #dotQuantized} in 16-bit integer arithmetic, 256-bit vectors only, where the Q8_K activations carry
     * their 16-bit layout ({@link QuantizedActivations#pairLevelArray}). Per super-block, run r's 32 bytes are read
     * as 16 shorts: lane k holds elements 2k and 2k+1 of sub-block 2r in bits 0-3 and 8-11 and of sub-block 2r+1
     * in bits 4-7 and 12-15, so masks and shifts give the even and odd halves of both sub-blocks without sign
     * extension (nibbles are unsigned), and each sub-block's lane k = q[2k]x[2k] + q[2k+1]x[2k+1], |·| ≤ 2·15·127
     * &lt; 2^15. Read as ints, lane i = hi·2^16 + lo (lo unsigned); times 2^16+1 that is (lo + hi)·2^16 + lo modulo
     * 2^32, whose upper half read signed is the two lanes' sum (one multiply and one shift where separating the
     * halves takes three shifts and an add); one more multiply applies the sub-block's 6-bit scale. A super-block
     * sums to |·| ≤ 8·4·15·127·63 &lt; 2^22 per int lane, then one conversion and one FMA with d·dx. The mins
     * are one 8-lane product per super-block: the 6-bit mins unpacked from one word by variable shifts, times the
     * activations' 32-level sums (stored in that lane order, {@link QuantizedActivations#subBlockSlot}).
     *
     * <p>One method with no helper that returns a vector: C2 inlines this body close to its node budget
     * ({@code NodeCountInliningCutoff}), and a helper it then declined to inline returned its vector boxed (a
     * per-run helper did, intermittently, once other kernels had run in the same JVM: {@code DecodeAllocationTest}).
     * Vector API methods are force-inlined past that cutoff; our own are not. Rows go one at a time for the same
     * reason ({@link #dotQuantized2}). Reading the 16-byte head as two words saves segment accesses' nodes too.
     * The four runs written out instead of looped were 10-15 % faster (KernelSpeedCheck best 6.1-6.4 → 6.9-7.2
     * GB/s) but boxed in the same way in two runs out of three after other kernels had run; two runs per iteration
     * were no faster than one.
     */
    private static float dotQuantized16(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        final short[] xs = a.pairLevelArray();
        final float[] dx = a.scaleArray();
        final int[] subSums = a.subBlockSumArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        FloatVector mins = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final int xb = xo + QK * b;
            final long w0 = src.get(BlockIo.I64, at);
            final long w1 = src.get(BlockIo.I64, at + 8);
            final long low = (w0 >>> 32) | (w1 << 32);
            final int high = (int) (w1 >>> 32);
            final long sc = KScales.scales(low, high);
            final float d = dx[so + b];
            final IntVector m = LongVector.broadcast(LongVector.SPECIES_256, KScales.mins(low, high)).reinterpretAsInts()
                    .lanewise(VectorOperators.LSHR, BYTE_SHIFTS).and(0xFF);
            mins = ((FloatVector) m.mul(IntVector.fromArray(I8, subSums, (so + b) * 8))
                    .convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (w0 >>> 16)) * d), mins);
            IntVector sum = IntVector.zero(I8);
            for (int r = 0; r < 4; r++) {
                final ShortVector v = ShortVector.fromMemorySegment(S16, src, at + QS + 32 * r, LE);
                final IntVector w = v.reinterpretAsInts();
                final int xr = xb + 64 * r;
                final ShortVector lo = v.and((short) 0xF).mul(ShortVector.fromArray(S16, xs, xr))
                        .add(w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xr + 16)));
                final ShortVector hi = w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                        .mul(ShortVector.fromArray(S16, xs, xr + 32))
                        .add(w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xr + 48)));
                sum = lo.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16)
                        .mul((int) (sc >>> (16 * r)) & 0xFF)
                        .add(hi.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16)
                                .mul((int) (sc >>> (16 * r + 8)) & 0xFF))
                        .add(sum);
            }
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat((short) w0) * d), acc);
        }
        return acc.lanewise(VectorOperators.SUB, mins).reduceLanes(VectorOperators.ADD);
    }

    /**
     * ggml's {@code quantize_row_q4_K_ref}: per sub-block an asymmetric least-squares fit weighted by
     * rms(x)+|x|, then the 8 scales and 8 mins are themselves quantized to 6 bits against d = max/63 and
     * dmin = max/63, and the 4-bit levels recomputed with the stored (rounded) scales.
     */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        KQuantizer.quantize(src, srcOff, n, dst, offset, 15, -1f, 0.1f, 20, BLOCK, Q4_KKernel::store);
    }

    /** Packs levels {@code lv[0..256)} (0..15) into qs: run r = sub-blocks 2r (low nibble) and 2r+1 (high). */
    private static void store(byte[] lv, MemorySegment dst, long at) {
        for (int r = 0; r < 4; r++) {
            for (int l = 0; l < 32; l++) {
                BlockIo.putU8(dst, at + QS + 32 * r + l, lv[64 * r + l] | (lv[64 * r + 32 + l] << 4));
            }
        }
    }
}
