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
                    sx = sx.add(xl).add(xh);
                }
            }
            acc = sq.fma(FloatVector.broadcast(F, BlockIo.f16(src, at)), acc);
            accM = sx.fma(FloatVector.broadcast(F, BlockIo.f16(src, at + 2)), accM);
        }
        return acc.add(accM).reduceLanes(VectorOperators.ADD);
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
