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
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            halves(src, offset + 2L * i).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
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
     * L halves widened exactly. Sign-extended to int and shifted left by 13, a half's sign fills bits 31-28 and its
     * exponent/mantissa land in bits 27-13, a float's exponent and mantissa positions; masking keeps bit 31 and
     * bits 27-13, and multiplying by 2^112 rebiases the exponent (turning half subnormals into the right normal
     * floats). Exponent 31 (Inf/NaN) comes out of that as |f| ≥ 2^16, beyond the largest half (65504): such lanes
     * get an all-ones exponent instead, off the fast path, as weights almost never hold them.
     */
    private static FloatVector halves(MemorySegment src, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SL, src, at, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
        FloatVector f = bits.reinterpretAsFloats().mul(REBIAS);
        VectorMask<Float> special = f.abs().compare(VectorOperators.GE, 0x1p16f);
        if (special.anyTrue()) {
            f = f.blend(bits.or(0x7F800000).reinterpretAsFloats(), special);
        }
        return f;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(I16, offset + 2L * i, Float.floatToFloat16(src[srcOff + i]));
        }
    }
}
