package dev.shoal.tensor.model;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufFormatException;
import dev.shoal.tensor.gguf.GgufMetadata;
import dev.shoal.tensor.gguf.TensorInfo;

/**
 * The hyper-parameters of a model as its GGUF metadata gives them, with llama.cpp's documented defaults for keys
 * a file may omit: {@code rope.freq_base} 10000, {@code attention.head_count_kv} = head count,
 * {@code rope.dimension_count} = head size, {@code attention.key_length} = dim / heads, RMS eps 1e-5.
 *
 * @param ropeFreqFactors per-pair divisors of the rotation frequency (Llama 3 scaling, from the
 *                        {@code rope_freqs.weight} tensor), or null
 * @param ropeScale       linear RoPE scaling: positions are divided by this (1 when unscaled)
 */
public record ModelConfig(
        Architecture architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocabSize,
        int trainedContext,
        float rmsEps,
        float ropeTheta,
        int ropeDim,
        float ropeScale,
        float[] ropeFreqFactors,
        boolean tiedEmbeddings) {

    public ModelConfig {
        require(dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && headDim > 0 && ffnDim > 0 && vocabSize > 0,
                "dimensions must be positive");
        require(heads % kvHeads == 0, "head count " + heads + " is not a multiple of KV head count " + kvHeads);
        require(ropeDim > 0 && ropeDim <= headDim && ropeDim % 2 == 0,
                "rope dimension " + ropeDim + " must be even and at most the head size " + headDim);
        require(ropeFreqFactors == null || ropeFreqFactors.length >= ropeDim / 2,
                "rope_freqs has " + (ropeFreqFactors == null ? 0 : ropeFreqFactors.length) + " factors, needs " + ropeDim / 2);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new GgufFormatException("invalid model hyper-parameters: " + message);
        }
    }

    public int queriesPerKvHead() {
        return heads / kvHeads;
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public static ModelConfig fromGguf(GgufFile file) {
        GgufMetadata md = file.metadata();
        Architecture arch = Architecture.fromGguf(md.string("general.architecture"));
        String p = arch.ggufName() + ".";
        int dim = toInt(md.integer(p + "embedding_length"), p + "embedding_length");
        int layers = toInt(md.integer(p + "block_count"), p + "block_count");
        int heads = toInt(md.integer(p + "attention.head_count"), p + "attention.head_count");
        int kvHeads = toInt(md.optInteger(p + "attention.head_count_kv").orElse(heads), p + "attention.head_count_kv");
        int headDim = toInt(md.optInteger(p + "attention.key_length").orElse(dim / heads), p + "attention.key_length");
        int ffn = toInt(md.integer(p + "feed_forward_length"), p + "feed_forward_length");
        TensorInfo embd = file.tensor("token_embd.weight");
        int vocab = toInt(md.optInteger(p + "vocab_size").orElse(embd.dim(1)), p + "vocab_size");
        if (embd.dim(0) != dim || embd.dim(1) != vocab) {
            throw new GgufFormatException(file.path().getFileName() + ": token_embd.weight is "
                    + java.util.Arrays.toString(embd.dims()) + ", expected [" + dim + ", " + vocab + "]");
        }
        int ctx = toInt(md.optInteger(p + "context_length").orElse(2048), p + "context_length");
        float eps = (float) md.optNumber(p + "attention.layer_norm_rms_epsilon").orElse(1e-5);
        float theta = (float) md.optNumber(p + "rope.freq_base").orElse(10000.0);
        int ropeDim = toInt(md.optInteger(p + "rope.dimension_count").orElse(headDim), p + "rope.dimension_count");
        float scale = 1f;
        String scaling = md.optString(p + "rope.scaling.type").orElse("none");
        switch (scaling) {
            case "none" -> { }
            case "linear" -> scale = (float) md.optNumber(p + "rope.scaling.factor").orElse(1.0);
            default -> throw new GgufFormatException(file.path().getFileName() + ": rope scaling type '" + scaling
                    + "' is not supported (none, linear; Llama 3 scaling comes from rope_freqs.weight)");
        }
        float[] freqFactors = null;
        if (file.hasTensor("rope_freqs.weight")) {
            TensorInfo rf = file.tensor("rope_freqs.weight");
            if (rf.type() != dev.shoal.tensor.quant.GgmlType.F32) {
                throw new GgufFormatException("rope_freqs.weight must be F32, is " + rf.type());
            }
            freqFactors = file.data(rf).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                    .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
        }
        boolean tied = !file.hasTensor("output.weight");
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ctx, eps, theta, ropeDim, scale,
                freqFactors, tied);
    }

    private static int toInt(long v, String key) {
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new GgufFormatException("metadata '" + key + "' = " + v + " is out of range (1.." + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }
}
