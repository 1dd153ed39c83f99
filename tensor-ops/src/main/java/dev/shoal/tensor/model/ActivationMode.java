package dev.shoal.tensor.model;

/**
 * How matmul inputs are fed to the weight kernels. {@link #QUANTIZED} (the default) quantizes each input once per
 * matmul to the weight type's activation form, as llama.cpp does, so logits track llama.cpp's own;
 * {@link #F32} keeps float32 activations, so logits track exact math on the dequantized weights (the reference
 * the quant-vectors suite's {@code logits-exact} files are made against). System property
 * {@code shoal.activations=f32|quantized} picks the default.
 */
public enum ActivationMode {
    F32,
    QUANTIZED;

    public static final String PROPERTY = "shoal.activations";

    /** The mode {@code -Dshoal.activations} names; QUANTIZED when unset. */
    public static ActivationMode fromSystemProperty() {
        String v = System.getProperty(PROPERTY, "quantized").trim();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float", "float32" -> F32;
            case "quantized", "q", "q8" -> QUANTIZED;
            default -> throw new IllegalArgumentException(PROPERTY + " must be f32 or quantized, got '" + v + "'");
        };
    }
}
