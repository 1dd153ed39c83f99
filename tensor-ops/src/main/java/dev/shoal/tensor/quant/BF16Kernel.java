package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.I16;
import static dev.shoal.tensor.quant.BlockIo.LE;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.I;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.SL;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** bfloat16 (the top 16 bits of a float32), little-endian, any row length. */
final class BF16Kernel implements QuantKernel {

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    private static float bf16(MemorySegment src, long at) {
        return Float.intBitsToFloat(src.get(I16, at) << 16);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = bf16(src, offset + 2L * i);
        }
    }

    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            widen(src, offset + 2L * i).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = bf16(src, offset + 2L * i);
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += bf16(src, offset + 2L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = widen(src, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = widen(src, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        float sum = acc0.lanewise(VectorOperators.ADD, acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += bf16(src, offset + 2L * i) * x[xOff + i];
        }
        return sum;
    }

    private static FloatVector widen(MemorySegment src, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SL, src, at, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** ggml's {@code GGML_FP32_TO_BF16}: round to nearest even; NaN kept NaN by forcing the quiet bit. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            int u = Float.floatToRawIntBits(src[srcOff + i]);
            int h = (u & 0x7FFFFFFF) > 0x7F800000 ? (u >>> 16) | 64 : (u + 0x7FFF + ((u >>> 16) & 1)) >>> 16;
            dst.set(I16, offset + 2L * i, (short) h);
        }
    }
}
