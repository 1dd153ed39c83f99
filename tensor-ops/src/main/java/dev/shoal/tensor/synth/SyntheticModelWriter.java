package dev.shoal.tensor.synth;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufWriter;
import dev.shoal.tensor.gguf.MetadataValue;
import dev.shoal.tensor.model.Architecture;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes a GGUF model of a {@link SyntheticShape} with random weights: every 2-D matrix in one type (a "pure"
 * file, as llama-quantize --pure makes), norms of 1 and other 1-D tensors in F32. Weights are N(0, 1)·std, drawn
 * per row from a generator seeded by (seed, tensor, row), so the same arguments always give the same bytes however
 * many threads write them.
 */
public final class SyntheticModelWriter {

    /** llama.cpp's general.file_type for a pure file of each type (K-quants use their *_M numbers). */
    private static final Map<GgmlType, Integer> FILE_TYPE = Map.ofEntries(
            Map.entry(GgmlType.F32, 0), Map.entry(GgmlType.F16, 1), Map.entry(GgmlType.Q4_0, 2),
            Map.entry(GgmlType.Q4_1, 3), Map.entry(GgmlType.Q8_0, 7), Map.entry(GgmlType.Q5_0, 8),
            Map.entry(GgmlType.Q5_1, 9), Map.entry(GgmlType.Q4_K, 15), Map.entry(GgmlType.Q5_K, 17),
            Map.entry(GgmlType.Q6_K, 18), Map.entry(GgmlType.BF16, 32));

    private final SyntheticShape shape;
    private final GgmlType type;
    private final long seed;
    private final float std;
    private final Path vocabFrom;

    /**
     * @param vocabFrom a GGUF whose {@code tokenizer.*} keys are copied (its vocabulary size replaces the shape's),
     *                  or null for a {@link SyntheticVocab}
     */
    public SyntheticModelWriter(SyntheticShape shape, GgmlType type, long seed, float std, Path vocabFrom) {
        if (!type.supported() || !FILE_TYPE.containsKey(type)) {
            throw new IllegalArgumentException("type " + type + " cannot be written; use one of " + FILE_TYPE.keySet());
        }
        for (int n : new int[] {shape.dim(), shape.ffnDim()}) {
            if (n % type.blockSize() != 0) {
                throw new IllegalArgumentException("shape " + shape.name() + " has a row length of " + n
                        + ", not a multiple of " + type + "'s block size " + type.blockSize() + "; choose another type");
            }
        }
        this.shape = shape;
        this.type = type;
        this.seed = seed;
        this.std = std;
        this.vocabFrom = vocabFrom;
    }

    public void write(Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        SyntheticShape s = shape;
        String a = s.architecture().ggufName();
        w.putString("general.architecture", a);
        w.putString("general.name", "shoal-synthetic-" + s.name());
        w.putUInt32("general.file_type", FILE_TYPE.get(type));
        if (vocabFrom != null) {
            try (GgufFile v = GgufFile.open(vocabFrom)) {
                v.metadata().entries().forEach((k, val) -> {
                    if (k.startsWith("tokenizer.")) {
                        w.put(k, val);
                    }
                });
                s = s.withVocab(v.metadata().strings("tokenizer.ggml.tokens").length);
            }
        } else {
            SyntheticVocab.write(w, s.vocabSize());
        }
        w.putUInt32(a + ".context_length", s.context());
        w.putUInt32(a + ".embedding_length", s.dim());
        w.putUInt32(a + ".block_count", s.layers());
        w.putUInt32(a + ".feed_forward_length", s.ffnDim());
        w.putUInt32(a + ".attention.head_count", s.heads());
        w.putUInt32(a + ".attention.head_count_kv", s.kvHeads());
        w.putUInt32(a + ".attention.key_length", s.headDim());
        w.putUInt32(a + ".attention.value_length", s.headDim());
        w.putUInt32(a + ".rope.dimension_count", s.headDim());
        w.putFloat32(a + ".rope.freq_base", s.ropeTheta());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", s.architecture() == Architecture.LLAMA ? 1e-5f : 1e-6f);
        w.putUInt32(a + ".vocab_size", s.vocabSize());

        matrix(w, "token_embd.weight", s.dim(), s.vocabSize());
        ones(w, "output_norm.weight", s.dim());
        if (!s.tiedEmbeddings()) {
            matrix(w, "output.weight", s.dim(), s.vocabSize());
        }
        if (s.llama3RopeFactor() > 0) {
            float[] f = llama3RopeFactors(s.headDim(), s.ropeTheta(), s.llama3RopeFactor());
            w.addF32("rope_freqs.weight", new long[] {f.length}, f);
        }
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            ones(w, p + "attn_norm.weight", s.dim());
            ones(w, p + "ffn_norm.weight", s.dim());
            matrix(w, p + "attn_q.weight", s.dim(), q);
            matrix(w, p + "attn_k.weight", s.dim(), kv);
            matrix(w, p + "attn_v.weight", s.dim(), kv);
            matrix(w, p + "attn_output.weight", q, s.dim());
            matrix(w, p + "ffn_gate.weight", s.dim(), s.ffnDim());
            matrix(w, p + "ffn_up.weight", s.dim(), s.ffnDim());
            matrix(w, p + "ffn_down.weight", s.ffnDim(), s.dim());
            if (s.architecture().qkvBias()) {
                vector(w, p + "attn_q.bias", q);
                vector(w, p + "attn_k.bias", kv);
                vector(w, p + "attn_v.bias", kv);
            }
            if (s.architecture().qkNorm()) {
                ones(w, p + "attn_q_norm.weight", s.headDim());
                ones(w, p + "attn_k_norm.weight", s.headDim());
            }
        }
        w.write(out);
    }

    private void ones(GgufWriter w, String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        w.addF32(name, new long[] {n}, v);
    }

    private void vector(GgufWriter w, String name, int n) {
        float[] v = new float[n];
        new RowRandom(seed, name.hashCode(), 0).fill(v, n, std);
        w.addF32(name, new long[] {n}, v);
    }

    /** A [cols (ne0), rows (ne1)] matrix of this writer's type. */
    private void matrix(GgufWriter w, String name, int cols, int rows) {
        QuantKernel k = QuantKernels.forType(type, name);
        long rowBytes = type.bytesFor(cols);
        int tensorSeed = name.hashCode();
        w.addTensor(name, type, new long[] {cols, rows}, (MemorySegment dst) ->
                IntStream.range(0, rows).parallel().forEach(r -> {
                    float[] buf = new float[cols];
                    new RowRandom(seed, tensorSeed, r).fill(buf, cols, std);
                    k.quantize(buf, 0, cols, dst, r * rowBytes);
                }));
    }

    /** Llama 3 frequency-scaling divisors, one per rotated pair. */
    static float[] llama3RopeFactors(int headDim, float theta, float factor) {
        final double lowFreqFactor = 1;
        final double highFreqFactor = 4;
        final double originalContext = 8192;
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            double freq = 1.0 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /** xoshiro-style 64-bit generator with Box–Muller normals; cheap to create per row. */
    static final class RowRandom {
        private long s0;
        private long s1;

        RowRandom(long seed, int tensor, int row) {
            long z = seed * 0x9E3779B97F4A7C15L + tensor * 0xBF58476D1CE4E5B9L + row * 0x94D049BB133111EBL;
            s0 = mix(z);
            s1 = mix(z + 0x9E3779B97F4A7C15L) | 1;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        private long next() {
            long a = s0;
            long b = s1;
            long r = a + b;
            b ^= a;
            s0 = Long.rotateLeft(a, 24) ^ b ^ (b << 16);
            s1 = Long.rotateLeft(b, 37);
            return r;
        }

        private double uniform() {
            return ((next() >>> 11) + 0.5) * 0x1.0p-53;
        }

        void fill(float[] v, int n, float std) {
            for (int i = 0; i < n; i += 2) {
                double r = Math.sqrt(-2 * Math.log(uniform())) * std;
                double t = 2 * Math.PI * uniform();
                v[i] = (float) (r * Math.cos(t));
                if (i + 1 < n) {
                    v[i + 1] = (float) (r * Math.sin(t));
                }
            }
        }
    }
}
