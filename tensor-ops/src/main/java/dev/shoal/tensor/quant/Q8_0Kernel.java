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

/** Q8_0: blocks of 32, 34 bytes = {f16 d; i8 qs[32]}, value = qs[i]*d. */
final class Q8_0Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 34;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            for (int j = 0; j < QK; j++) {
                dst[dstOff + QK * b + j] = BlockIo.i8(src, at + 2 + j) * d;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            for (int j = 0; j < QK; j++) {
                sum += BlockIo.i8(src, at + 2 + j) * d * x[xOff + QK * b + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < QK; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                }
            }
            acc = s.fma(FloatVector.broadcast(F, BlockIo.f16(src, at)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            int xb = srcOff + QK * b;
            long at = offset + (long) BLOCK * b;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float a = Math.abs(src[xb + j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            for (int j = 0; j < QK; j++) {
                BlockIo.putU8(dst, at + 2 + j, (int) BlockIo.roundf(src[xb + j] * id));
            }
        }
    }
}
