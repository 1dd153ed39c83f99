package dev.shoal.tensor.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model families the forward pass implements, keyed by {@code general.architecture}. They share one
 * transformer block and differ in a few switches: Qwen2 adds biases to Q/K/V, Qwen3 normalises Q and K per head,
 * and both rotate dimension pairs NeoX-style (i, i + d/2) where Llama rotates adjacent pairs (2i, 2i + 1).
 */
public enum Architecture {
    LLAMA("llama", false, false, false),
    QWEN2("qwen2", true, false, true),
    QWEN3("qwen3", false, true, true);

    private final String ggufName;
    private final boolean qkvBias;
    private final boolean qkNorm;
    private final boolean neoxRope;

    Architecture(String ggufName, boolean qkvBias, boolean qkNorm, boolean neoxRope) {
        this.ggufName = ggufName;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
        this.neoxRope = neoxRope;
    }

    public String ggufName() {
        return ggufName;
    }

    public boolean qkvBias() {
        return qkvBias;
    }

    public boolean qkNorm() {
        return qkNorm;
    }

    public boolean neoxRope() {
        return neoxRope;
    }

    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("model architecture '" + name + "' is not supported (supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", ")) + ")");
    }
}
