package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import java.lang.foreign.MemorySegment;

/** Test helper: a kernel whose fast {@code dot} is its scalar reference, to run a whole model on reference math. */
record ScalarKernel(QuantKernel inner) implements QuantKernel {

    @Override
    public GgmlType type() {
        return inner.type();
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        inner.dequantize(src, offset, dst, dstOff, n);
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        return inner.dotScalar(src, offset, x, xOff, n);
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        return inner.dotScalar(src, offset, x, xOff, n);
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        inner.quantize(src, srcOff, n, dst, offset);
    }
}
