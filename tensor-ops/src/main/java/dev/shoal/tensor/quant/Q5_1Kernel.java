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
 * Q5_1: blocks of 32, 24 bytes = {f16 d; f16 m; u32 qh; u8 qs[16]}, bits laid out as in Q5_0; value = q*d + m.
 * The dot applies d and m once per block: d*Σqx + m*Σx.
 */
final class Q5_1Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 24;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float m = BlockIo.f16(src, at + 2);
            int qh = src.get(BlockIo.I32, at + 4);
            int y = dstOff + QK * b;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 8 + j);
                dst[y + j] = ((q & 0xF) | ((qh >>> j) << 4 & 0x10)) * d + m;
                dst[y + j + 16] = ((q >>> 4) | ((qh >>> (j + 12)) & 0x10)) * d + m;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float m = BlockIo.f16(src, at + 2);
            int qh = src.get(BlockIo.I32, at + 4);
            int xb = xOff + QK * b;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 8 + (j & 15));
                int q5 = ((j < 16 ? q : q >>> 4) & 0xF) | ((qh >>> j) & 1) << 4;
                sum += (q5 * d + m) * x[xb + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector accM = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            int qh = src.get(BlockIo.I32, at + 4);
            FloatVector sq = FloatVector.zero(F);
            FloatVector sx = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 8 + g, LE);
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> (16 + g)));
                for (int p = 0; p < PARTS; p++) {
                    FloatVector xl = FloatVector.fromArray(F, x, xb + g + p * L);
                    FloatVector xh = FloatVector.fromArray(F, x, xb + 16 + g + p * L);
                    sq = Lanes.toFloats(lo, p).fma(xl, sq);
                    sq = Lanes.toFloats(hi, p).fma(xh, sq);
                    sx = xl.add(sx).add(xh);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at)).fma(sq, acc);
            accM = FloatVector.broadcast(F, BlockIo.f16(src, at + 2)).fma(sx, accM);
        }
        return acc.lanewise(VectorOperators.ADD, accM).reduceLanes(VectorOperators.ADD);
    }

    /** q·d + m: a multiply then an add, as {@link #dequantize} rounds (no FMA). */
    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16(src, at));
            final FloatVector m = FloatVector.broadcast(F, BlockIo.f16(src, at + 2));
            final int qh = src.get(BlockIo.I32, at + 4);
            final int y = dstOff + QK * b;
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 8 + g, LE);
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> (16 + g)));
                for (int p = 0; p < PARTS; p++) {
                    Lanes.toFloats(lo, p).mul(d).add(m).intoArray(dst, y + g + p * L);
                    Lanes.toFloats(hi, p).mul(d).add(m).intoArray(dst, y + 16 + g + p * L);
                }
            }
        }
    }

    @Override
    public ActivationType activationType() {
        return ActivationType.Q8_1;
    }

    @Override
    public float dotQuantizedScalar(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int qh = src.get(BlockIo.I32, at + 4);
            int xb = xo + QK * b;
            int sumi = 0;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 8 + (j & 15));
                int q5 = ((j < 16 ? q : q >>> 4) & 0xF) | ((qh >>> j) & 1) << 4;
                sumi += q5 * (int) x[xb + j];
            }
            sum += (BlockIo.f16(src, at) * a.scale(row, b)) * sumi + BlockIo.f16(src, at + 2) * a.blockSum(row, b);
        }
        return sum;
    }

    /** As Q4_1's: d·dx·Σq·x per block (exact Σ) plus m·s. */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final float[] sx = a.sumArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        float summs = 0f;
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final int xb = xo + QK * b;
            final int qh = src.get(BlockIo.I32, at + 4);
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 8 + g, LE);
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.OR, (byte) 0x10, Lanes.bitsSet(qh >>> (16 + g)));
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(lo, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                    s = Lanes.toFloats(hi, p).fma(FloatVector.fromArray(F, x, xb + 16 + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at) * dx[so + b]).fma(s, acc);
            summs += BlockIo.f16(src, at + 2) * sx[so + b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + summs;
    }

    /** ggml's {@code quantize_row_q5_1_ref}: d = (max-min)/31, m = min. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q5_1, n);
        for (int b = 0; b < n / QK; b++) {
            int xb = srcOff + QK * b;
            long at = offset + (long) BLOCK * b;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[xb + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / 31;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            BlockIo.putF16(dst, at + 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                // ggml does not clamp here; (max-min)*id rounds to at most 31.5, so the clamp only guards overflow
                int q0 = Math.min(31, (int) ((src[xb + j] - min) * id + 0.5f));
                int q1 = Math.min(31, (int) ((src[xb + 16 + j] - min) * id + 0.5f));
                BlockIo.putU8(dst, at + 8 + j, (q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= ((q0 >>> 4) & 1) << j;
                qh |= ((q1 >>> 4) & 1) << (j + 16);
            }
            dst.set(BlockIo.I32, at + 4, qh);
        }
    }
}
