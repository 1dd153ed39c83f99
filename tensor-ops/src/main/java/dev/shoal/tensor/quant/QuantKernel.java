package dev.shoal.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * The kernels for one tensor type, over rows laid out as in GGUF (little-endian blocks, one row after another).
 *
 * <p>Every method takes a byte {@code offset} into {@code src}/{@code dst} and an element count {@code n}; the
 * offset must fall on a block boundary and {@code n} must be a whole number of blocks, so that a row can be split
 * between tensor-parallel ranks at any block edge. Implementations keep no state and allocate nothing.
 */
public interface QuantKernel {

    GgmlType type();

    /** Scalar reference: writes the {@code n} dequantized values to {@code dst[dstOff..dstOff+n)}, bit-exact with ggml. */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n);

    /** Scalar reference dot product of {@code n} weights at {@code offset} with {@code x[xOff..xOff+n)}. */
    float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n);

    /** Vector API dot product with the same contract as {@link #dotScalar}. */
    float dot(MemorySegment src, long offset, float[] x, int xOff, int n);

    /** Quantizes {@code src[srcOff..srcOff+n)} into {@code dst} at {@code offset} (ggml's reference rounding). */
    void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset);
}
