package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;
import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.G;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

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
                        sx = sx.add(xv);
                    }
                }
                acc = sq.fma(FloatVector.broadcast(F, d * KScales.scale(low, high, s)), acc);
                accM = sx.fma(FloatVector.broadcast(F, min * KScales.min(low, high, s)), accM);
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
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
     * Per super-block: Σ over sub-blocks s of sc_s·Σq·x (levels, exact below 2^24), one FMA with d·dx; the mins
     * come from the activations' 32-level sums: dmin·dx·Σ m_s·Σx_s, scalar, so no Σx in the loop. The eight
     * scales and mins are unpacked once per super-block into a byte each of two longs ({@link KScales#scales}).
     */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final float[] subSums = a.subBlockSumArray();
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
                sumi = sq.fma(FloatVector.broadcast(F, KScales.level(sc, s)), sumi);
                summ += KScales.level(mn, s) * subSums[ss + s];
            }
            final float d = dx[so + b];
            acc = sumi.fma(FloatVector.broadcast(F, BlockIo.f16(src, at) * d), acc);
            mins += BlockIo.f16(src, at + 2) * d * summ;
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins;
    }

    @Override
    public void dotQuantized2(MemorySegment src, long offA, long offB, QuantizedActivations a, int row, int n,
                              float[] out, int outA, int outB) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final float[] subSums = a.subBlockSumArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        float minsA = 0f;
        float minsB = 0f;
        for (int b = 0; b < n / QK; b++) {
            final long atA = offA + (long) BLOCK * b;
            final long atB = offB + (long) BLOCK * b;
            final long lowA = KScales.low(src, atA + SCALES);
            final int highA = KScales.high(src, atA + SCALES);
            final long lowB = KScales.low(src, atB + SCALES);
            final int highB = KScales.high(src, atB + SCALES);
            final long scA = KScales.scales(lowA, highA);
            final long mnA = KScales.mins(lowA, highA);
            final long scB = KScales.scales(lowB, highB);
            final long mnB = KScales.mins(lowB, highB);
            final int ss = (so + b) * 8;
            FloatVector sumiA = FloatVector.zero(F);
            FloatVector sumiB = FloatVector.zero(F);
            float summA = 0f;
            float summB = 0f;
            for (int s = 0; s < 8; s++) {
                final long run = QS + 32 * (s >> 1);
                final int xs = xo + QK * b + 32 * s;
                final int shift = 4 * (s & 1);
                FloatVector sqA = FloatVector.zero(F);
                FloatVector sqB = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    ByteVector qA = Lanes.shr(ByteVector.fromMemorySegment(B, src, atA + run + g, LE), shift).and((byte) 0xF);
                    ByteVector qB = Lanes.shr(ByteVector.fromMemorySegment(B, src, atB + run + g, LE), shift).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xs + g + p * L);
                        sqA = Lanes.toFloats(qA, p).fma(xv, sqA);
                        sqB = Lanes.toFloats(qB, p).fma(xv, sqB);
                    }
                }
                sumiA = sqA.fma(FloatVector.broadcast(F, KScales.level(scA, s)), sumiA);
                sumiB = sqB.fma(FloatVector.broadcast(F, KScales.level(scB, s)), sumiB);
                final float bs = subSums[ss + s];
                summA += KScales.level(mnA, s) * bs;
                summB += KScales.level(mnB, s) * bs;
            }
            final float d = dx[so + b];
            accA = sumiA.fma(FloatVector.broadcast(F, BlockIo.f16(src, atA) * d), accA);
            accB = sumiB.fma(FloatVector.broadcast(F, BlockIo.f16(src, atB) * d), accB);
            minsA += BlockIo.f16(src, atA + 2) * d * summA;
            minsB += BlockIo.f16(src, atB + 2) * d * summB;
        }
        out[outA] = accA.reduceLanes(VectorOperators.ADD) - minsA;
        out[outB] = accB.reduceLanes(VectorOperators.ADD) - minsB;
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
