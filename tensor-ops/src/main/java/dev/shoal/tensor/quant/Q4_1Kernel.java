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
 * Q4_1: blocks of 32, 20 bytes = {f16 d; f16 m; u8 qs[16]}, nibbles laid out as in Q4_0; value = nibble*d + m.
 * The dot sums nibble*x and x per block and applies d and m once: d*Σqx + m*Σx.
 */
final class Q4_1Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 20;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float m = BlockIo.f16(src, at + 2);
            int y = dstOff + QK * b;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 4 + j);
                dst[y + j] = (q & 0xF) * d + m;
                dst[y + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float m = BlockIo.f16(src, at + 2);
            int xb = xOff + QK * b;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 4 + (j & 15));
                sum += (((j < 16 ? q : q >>> 4) & 0xF) * d + m) * x[xb + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector accM = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            FloatVector sq = FloatVector.zero(F);
            FloatVector sx = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 4 + g, LE);
                ByteVector lo = q.and((byte) 0xF);
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF);
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

    /** nibble·d + m: a multiply then an add, as {@link #dequantize} rounds (no FMA). */
    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16(src, at));
            final FloatVector m = FloatVector.broadcast(F, BlockIo.f16(src, at + 2));
            final int y = dstOff + QK * b;
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 4 + g, LE);
                ByteVector lo = q.and((byte) 0xF);
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF);
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
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xo + QK * b;
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 4 + j);
                sumi += (q & 0xF) * (int) x[xb + j] + (q >>> 4) * (int) x[xb + j + 16];
            }
            sum += (BlockIo.f16(src, at) * a.scale(row, b)) * sumi + BlockIo.f16(src, at + 2) * a.blockSum(row, b);
        }
        return sum;
    }

    /** d·dx·Σq·x per block (exact Σ), and m·s with the activations' precomputed s = dx·Σq: no Σx in the loop. */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
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
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 4 + g, LE);
                ByteVector lo = q.and((byte) 0xF);
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF);
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

    /** ggml's {@code quantize_row_q4_1_ref}: d = (max-min)/15, m = min. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q4_1, n);
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
            float d = (max - min) / 15;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            BlockIo.putF16(dst, at + 2, min);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) ((src[xb + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (int) ((src[xb + 16 + j] - min) * id + 0.5f));
                BlockIo.putU8(dst, at + 4 + j, q0 | (q1 << 4));
            }
        }
    }
}
