package dev.shoal.tensor.quant;

/**
 * Every tensor type id ggml has assigned, with its block geometry.
 *
 * <p>A row of {@code n} elements of a block type occupies {@code n / blockSize * bytesPerBlock} bytes;
 * {@code n} must be a multiple of {@link #blockSize()}. Ids that ggml retired (4, 5, 31–33, 36–38) are absent;
 * a file that names one is rejected as corrupt. {@link #supported()} says whether this engine can compute with
 * the type; the reader accepts every listed type so that the error for an unsupported one names the tensor.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;
    private final boolean supported;

    GgmlType(int id, int blockSize, int bytesPerBlock, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
        this.supported = supported;
    }

    /** The numeric id stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per quantization block (1 for plain float and integer types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies. */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Whether this engine has kernels for the type. */
    public boolean supported() {
        return supported;
    }

    /** Whether the type packs several elements per block (a quantized type). */
    public boolean quantized() {
        return blockSize > 1;
    }

    /** Bytes taken by {@code elements} elements; {@code elements} must be a whole number of blocks. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    name() + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * bytesPerBlock;
    }

    /** The type with this GGUF id, or null when the id is not a known ggml type. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
