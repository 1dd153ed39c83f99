package dev.shoal.tensor.quant;

/**
 * The form a weight type wants its input vector in, as llama.cpp's {@code vec_dot_type}: plain floats for float
 * weights, int8 blocks for quantized ones. Blocks hold integer levels q and a scale d (value ≈ q·d):
 * <ul>
 *   <li>{@link #Q8_0}: 32 levels, d rounded to f16 (for Q4_0, Q5_0, Q8_0 weights);</li>
 *   <li>{@link #Q8_1}: as Q8_0 plus s = d·Σq rounded to f16 (for Q4_1, Q5_1, whose offset m multiplies Σx);</li>
 *   <li>{@link #Q8_K}: 256 levels, d in f32, and the sum of each 16 levels (for the K-quants' mins).</li>
 * </ul>
 * F32, F16 and BF16 weights take {@link #F32}. llama.cpp rounds activations to f16/bf16 for those, but here the
 * weights are widened to float for the FMA anyway, so rounding x too would only add work; float activations stay
 * within 5e-3 (F16) and 2.5e-2 (BF16) of llama.cpp's logits on the quant-vectors model, inside the 1e-2 and 5e-2
 * its README allows.
 */
public enum ActivationType {
    F32(1),
    Q8_0(32),
    Q8_1(32),
    Q8_K(256);

    private final int blockSize;

    ActivationType(int blockSize) {
        this.blockSize = blockSize;
    }

    public int blockSize() {
        return blockSize;
    }
}
