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
 * Q5_K: super-blocks of 256, 176 bytes = {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}. Scales and
 * nibbles as in Q4_K; the fifth bit of element l of sub-block s (l = 0..31) is bit s of qh[l].
 * value = (d*sc)*q - (dmin*m).
 */
final class Q5_KKernel implements QuantKernel {

    private static final int QK = 256;
    private static final int BLOCK = 176;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
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
                    int h = BlockIo.u8(src, at + QH + l) >>> (2 * r);
                    dst[y + l] = d1 * ((q & 0xF) + ((h & 1) << 4)) - m1;
                    dst[y + 32 + l] = d2 * ((q >>> 4) + ((h & 2) << 3)) - m2;
                }
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
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
                    q |= ((BlockIo.u8(src, at + QH + l) >>> s) & 1) << 4;
                    sum += (ds * q - ms) * x[xs + l];
                }
            }
        }
        return sum;
    }

    /** As {@link Q4_KKernel#dot}, with the fifth bit of sub-block s taken from bit s of qh. */
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
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
                    ByteVector nib = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1));
                    ByteVector top = Lanes.shr(ByteVector.fromMemorySegment(B, src, at + QH + g, LE), s);
                    ByteVector q = nib.and((byte) 0xF).or(Lanes.shl(top, 4).and((byte) 0x10));
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
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
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
                    ByteVector nib = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1));
                    ByteVector top = Lanes.shr(ByteVector.fromMemorySegment(B, src, at + QH + g, LE), s);
                    ByteVector q = nib.and((byte) 0xF).or(Lanes.shl(top, 4).and((byte) 0x10));
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
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
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
                    q |= ((BlockIo.u8(src, at + QH + l) >>> s) & 1) << 4;
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

    /** As Q4_K's {@code dotQuantized}, with the fifth bit of sub-block s from bit s of qh. */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final float[] bsums = a.sumArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0f;
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final long low = KScales.low(src, at + SCALES);
            final int high = KScales.high(src, at + SCALES);
            final int gs = (so + b) * 16;
            FloatVector sumi = FloatVector.zero(F);
            int summ = 0;
            for (int s = 0; s < 8; s++) {
                final long qs = at + QS + 32 * (s >> 1);
                final int xs = xo + QK * b + 32 * s;
                FloatVector sq = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    ByteVector nib = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1));
                    ByteVector top = Lanes.shr(ByteVector.fromMemorySegment(B, src, at + QH + g, LE), s);
                    ByteVector q = nib.and((byte) 0xF).or(Lanes.shl(top, 4).and((byte) 0x10));
                    for (int p = 0; p < PARTS; p++) {
                        sq = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xs + g + p * L), sq);
                    }
                }
                sumi = FloatVector.broadcast(F, BlockIo.u8Float(KScales.scale(low, high, s))).fma(sq, sumi);
                summ += KScales.min(low, high, s) * (int) (bsums[gs + 2 * s] + bsums[gs + 2 * s + 1]);
            }
            final float d = dx[so + b];
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at) * d).fma(sumi, acc);
            mins += BlockIo.f16(src, at + 2) * d * summ;
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins;
    }

    /** ggml's {@code quantize_row_q5_K_ref}: as Q4_K with 5-bit levels and a narrower search grid. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q5_K, n);
        KQuantizer.quantize(src, srcOff, n, dst, offset, 31, -0.5f, 0.1f, 15, BLOCK, Q5_KKernel::store);
    }

    private static void store(byte[] lv, MemorySegment dst, long at) {
        for (int l = 0; l < 32; l++) {
            int h = 0;
            for (int s = 0; s < 8; s++) {
                h |= ((lv[32 * s + l] >>> 4) & 1) << s;
            }
            BlockIo.putU8(dst, at + QH + l, h);
        }
        for (int r = 0; r < 4; r++) {
            for (int l = 0; l < 32; l++) {
                BlockIo.putU8(dst, at + QS + 32 * r + l, (lv[64 * r + l] & 0xF) | ((lv[64 * r + 32 + l] & 0xF) << 4));
            }
        }
    }
}
