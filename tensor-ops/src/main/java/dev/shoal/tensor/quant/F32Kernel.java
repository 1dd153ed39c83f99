package dev.shoal.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Plain little-endian float32. */
final class F32Kernel implements QuantKernel {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> S = Lanes.F;

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, F32, offset, dst, dstOff, n);
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += src.get(F32, offset + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int step = S.length();
        int i = 0;
        for (; i + 2 * step <= n; i += 2 * step) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, src, offset + 4L * i, ByteOrder.LITTLE_ENDIAN);
            FloatVector w1 = FloatVector.fromMemorySegment(S, src, offset + 4L * (i + step), ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(S, x, xOff + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(S, x, xOff + i + step), acc1);
        }
        float sum = acc0.lanewise(VectorOperators.ADD, acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += src.get(F32, offset + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        MemorySegment.copy(src, srcOff, dst, F32, offset, n);
    }
}
