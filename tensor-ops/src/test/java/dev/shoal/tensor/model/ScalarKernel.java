package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.lang.foreign.MemorySegment;

/**
 * Test helper: a kernel whose fast {@code dot} and {@code dotQuantized} are its scalar references, to run a whole
 * model on reference math (float or quantized activations alike).
 */
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
    public ActivationType activationType() {
        return inner.activationType();
    }

    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        return inner.dotQuantizedScalar(src, offset, a, row, n);
    }

    @Override
    public float dotQuantizedScalar(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        return inner.dotQuantizedScalar(src, offset, a, row, n);
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        inner.quantize(src, srcOff, n, dst, offset);
    }
}
