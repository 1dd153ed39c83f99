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

    /**
     * Vector API {@link #dequantize}, bit for bit the same values (same float operations per element); the
     * batched matmul decodes weight tiles with it.
     */
    default void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        dequantize(src, offset, dst, dstOff, n);
    }

    /** Scalar reference dot product of {@code n} weights at {@code offset} with {@code x[xOff..xOff+n)}. */
    float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n);

    /** Vector API dot product with the same contract as {@link #dotScalar}. */
    float dot(MemorySegment src, long offset, float[] x, int xOff, int n);

    /**
     * The form this type's {@link #dotQuantized} wants its input in (llama.cpp's {@code vec_dot_type});
     * {@link ActivationType#F32} means the float {@link #dot} is the fast path.
     */
    default ActivationType activationType() {
        return ActivationType.F32;
    }

    /**
     * Vector API dot product of {@code n} weights at {@code offset} with row {@code row} of {@code a}, which holds
     * {@link #activationType()} activations (or F32 ones, for which this is {@link #dot}). Block sums of levels are
     * exact integers; each block's (or K-quant super-block's) scale is applied once, as in llama.cpp.
     */
    default float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        return dot(src, offset, a.values(), a.offset(row), n);
    }

    /**
     * Scalar reference of {@link #dotQuantized}: integer block sums in {@code int}, then llama.cpp's generic
     * {@code ggml_vec_dot_*} float steps, block after block.
     */
    default float dotQuantizedScalar(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        return dotScalar(src, offset, a.values(), a.offset(row), n);
    }

    /**
     * {@link #dotQuantized} of two rows (at {@code offA} and {@code offB}) with the same activations, written to
     * {@code out[outA]} and {@code out[outB]}. Types that override it read the two rows interleaved: two memory
     * streams keep more cache misses in flight than one, which is what a single core's decode speed hangs on.
     */
    default void dotQuantized2(MemorySegment src, long offA, long offB, QuantizedActivations a, int row, int n,
                               float[] out, int outA, int outB) {
        out[outA] = dotQuantized(src, offA, a, row, n);
        out[outB] = dotQuantized(src, offB, a, row, n);
    }

    /**
     * {@link #dotQuantized} of four rows at {@code offset + i·stride} (i = 0..3) with the same activations, written
     * to {@code out[outAt + i·outStride]}. The decode path takes the rows from the four quarters of a matrix, so
     * the kernel reads four sequential memory streams at once: one core keeps more cache misses in flight that
     * way (measured on the 2-vCPU machine: 1 stream 4.6 GB/s, 2 streams 7.4, 4 streams 8.1 for Q8_0; four adjacent
     * rows, one stream in effect, 5.3).
     */
    default void dotQuantized4(MemorySegment src, long offset, long stride, QuantizedActivations a, int row, int n,
                               float[] out, int outAt, int outStride) {
        dotQuantized2(src, offset, offset + stride, a, row, n, out, outAt, outAt + outStride);
        dotQuantized2(src, offset + 2 * stride, offset + 3 * stride, a, row, n, out, outAt + 2 * outStride,
                outAt + 3 * outStride);
    }

    /** Quantizes {@code src[srcOff..srcOff+n)} into {@code dst} at {@code offset} (ggml's reference rounding). */
    void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset);
}
