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
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** IEEE half precision, little-endian, any row length. */
final class F16Kernel implements QuantKernel {

    /** 2^112 = 2^(127-15): rebiases a half exponent placed in a float's exponent field. */
    private static final float REBIAS = 0x1p112f;

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(I16, offset + 2L * i));
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += Float.float16ToFloat(src.get(I16, offset + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = halves(src, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = halves(src, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(src.get(I16, offset + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    /**
     * L halves widened exactly. The half's sign/exponent/mantissa are moved to a float's bit positions
     * (bits 15 / 14-10 / 9-0 to 31 / 27-23 / 22-13) and multiplied by 2^112, which rebiases the exponent and turns
     * half subnormals into the right normal floats; Inf/NaN (exponent 31) get an all-ones exponent instead.
     */
    private static FloatVector halves(MemorySegment src, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SL, src, at, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector em = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector scaled = em.reinterpretAsFloats().mul(REBIAS).reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x1F << 23);
        return scaled.blend(em.or(0x7F800000), special).or(sign).reinterpretAsFloats();
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(I16, offset + 2L * i, Float.floatToFloat16(src[srcOff + i]));
        }
    }
}
