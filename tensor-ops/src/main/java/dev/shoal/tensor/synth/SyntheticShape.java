package dev.shoal.tensor.synth;

import dev.shoal.tensor.model.Architecture;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The hyper-parameters of a real model family, for writing same-shaped files with random weights. Values are those
 * of the published configurations; {@code llama3RopeFactor} > 0 adds a {@code rope_freqs.weight} tensor computed
 * with Llama 3's frequency scaling (low-frequency factor 1, high 4, original context 8192).
 */
public record SyntheticShape(String name, Architecture architecture, int dim, int layers, int heads, int kvHeads,
                             int headDim, int ffnDim, int vocabSize, int context, float ropeTheta,
                             float llama3RopeFactor, boolean tiedEmbeddings) {

    private static final SyntheticShape[] KNOWN = {
        new SyntheticShape("tiny", Architecture.LLAMA, 256, 2, 4, 2, 64, 768, 512, 512, 10000f, 0, true),
        new SyntheticShape("tiny-qwen2", Architecture.QWEN2, 256, 2, 4, 2, 64, 768, 512, 512, 1000000f, 0, true),
        new SyntheticShape("tiny-qwen3", Architecture.QWEN3, 256, 2, 4, 2, 128, 768, 512, 512, 1000000f, 0, true),
        new SyntheticShape("llama-100m", Architecture.LLAMA, 512, 8, 8, 4, 64, 2048, 128256, 8192, 500000f, 32f, true),
        new SyntheticShape("llama-3.2-1b", Architecture.LLAMA, 2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000f, 32f, true),
        new SyntheticShape("llama-3.2-3b", Architecture.LLAMA, 3072, 28, 24, 8, 128, 8192, 128256, 131072, 500000f, 32f, true),
        new SyntheticShape("llama-3.1-8b", Architecture.LLAMA, 4096, 32, 32, 8, 128, 14336, 128256, 131072, 500000f, 8f, false),
        new SyntheticShape("mistral-7b", Architecture.LLAMA, 4096, 32, 32, 8, 128, 14336, 32768, 32768, 1000000f, 0, false),
        new SyntheticShape("qwen2.5-1.5b", Architecture.QWEN2, 1536, 28, 12, 2, 128, 8960, 151936, 32768, 1000000f, 0, true),
        new SyntheticShape("qwen3-0.6b", Architecture.QWEN3, 1024, 28, 16, 8, 128, 3072, 151936, 40960, 1000000f, 0, true),
        new SyntheticShape("qwen3-8b", Architecture.QWEN3, 4096, 36, 32, 8, 128, 12288, 151936, 40960, 1000000f, 0, false),
    };

    public static SyntheticShape named(String name) {
        for (SyntheticShape s : KNOWN) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + name + "'; known shapes: " + names());
    }

    public static String names() {
        return Arrays.stream(KNOWN).map(SyntheticShape::name).collect(Collectors.joining(", "));
    }

    /** Parameter count (embeddings counted once when tied). */
    public long parameters() {
        long perLayer = (long) dim * heads * headDim * 2 + 2L * dim * kvHeads * headDim + 3L * dim * ffnDim + 2L * dim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + layers * perLayer + dim;
    }

    /** The same shape with another vocabulary size (when a real vocabulary is copied in). */
    public SyntheticShape withVocab(int vocab) {
        return new SyntheticShape(name, architecture, dim, layers, heads, kvHeads, headDim, ffnDim, vocab, context,
                ropeTheta, llama3RopeFactor, tiedEmbeddings);
    }
}
