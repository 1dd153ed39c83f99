package dev.shoal.tensor.model;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufFormatException;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import java.lang.foreign.Arena;

/**
 * The weights a {@link Slice} needs, as windows onto a GGUF file (or, after {@link #compact}, copies of them).
 * Token embeddings are kept whole by the first stage; the output projection (or the tied embedding) is cut to the
 * slice's vocabulary rows by the last stage — except where the output is the tied embedding the slice holds whole
 * anyway (a slice of every layer), whose output is then that whole matrix.
 */
public record SliceWeights(ModelConfig config, Slice slice, Matrix tokenEmbedding, LayerWeights[] layers,
                           float[] outputNorm, Matrix output) {

    public static SliceWeights load(GgufFile file, ModelConfig c, Slice s) {
        s.validate(c);
        // Every tensor this slice touches must be of a supported type; fail at load, naming the tensor.
        for (TensorInfo t : file.tensors()) {
            if (t.name().startsWith("blk.") || t.name().startsWith("token_embd") || t.name().startsWith("output")) {
                QuantKernels.forType(t.type(), t.name());
            }
        }
        int hd = c.headDim();
        int q0 = s.kvHeadStart() * c.queriesPerKvHead() * hd;
        int q1 = s.kvHeadEnd() * c.queriesPerKvHead() * hd;
        int k0 = s.kvHeadStart() * hd;
        int k1 = s.kvHeadEnd() * hd;
        LayerWeights[] layers = new LayerWeights[s.layerCount()];
        for (int l = s.layerStart(); l < s.layerEnd(); l++) {
            String p = "blk." + l + ".";
            Architecture a = c.architecture();
            layers[l - s.layerStart()] = new LayerWeights(
                    vector(file, p + "attn_norm.weight", 0, c.dim()),
                    Matrix.of(file, p + "attn_q.weight", q0, q1, 0, c.dim()),
                    Matrix.of(file, p + "attn_k.weight", k0, k1, 0, c.dim()),
                    Matrix.of(file, p + "attn_v.weight", k0, k1, 0, c.dim()),
                    a.qkvBias() ? vector(file, p + "attn_q.bias", q0, q1) : null,
                    a.qkvBias() ? vector(file, p + "attn_k.bias", k0, k1) : null,
                    a.qkvBias() ? vector(file, p + "attn_v.bias", k0, k1) : null,
                    a.qkNorm() ? vector(file, p + "attn_q_norm.weight", 0, hd) : null,
                    a.qkNorm() ? vector(file, p + "attn_k_norm.weight", 0, hd) : null,
                    Matrix.of(file, p + "attn_output.weight", 0, c.dim(), q0, q1),
                    vector(file, p + "ffn_norm.weight", 0, c.dim()),
                    Matrix.of(file, p + "ffn_gate.weight", s.ffnStart(), s.ffnEnd(), 0, c.dim()),
                    Matrix.of(file, p + "ffn_up.weight", s.ffnStart(), s.ffnEnd(), 0, c.dim()),
                    Matrix.of(file, p + "ffn_down.weight", 0, c.dim(), s.ffnStart(), s.ffnEnd()));
        }
        Matrix embd = s.embedsTokens() ? Matrix.of(file, "token_embd.weight") : null;
        float[] outNorm = null;
        Matrix out = null;
        if (s.producesLogits(c)) {
            outNorm = vector(file, "output_norm.weight", 0, c.dim());
            // a slice that holds the whole tied embedding already has every output row: it keeps no second copy,
            // and its tensor group shares the output rows at run time (SliceModel, Collective.shareRowsToFirst)
            out = c.tiedEmbeddings() && embd != null ? embd
                    : Matrix.of(file, c.tiedEmbeddings() ? "token_embd.weight" : "output.weight", s.vocabStart(),
                    s.vocabEnd(), 0, c.dim());
        }
        return new SliceWeights(c, s, embd, layers, outNorm, out);
    }

    /** Elements {@code [start, end)} of a 1-D tensor, as floats. */
    static float[] vector(GgufFile file, String name, int start, int end) {
        TensorInfo t = file.tensor(name);
        if (t.elementCount() < end) {
            throw new GgufFormatException(name + " has " + t.elementCount() + " elements, needs " + end);
        }
        QuantKernel k = QuantKernels.forType(t.type(), name);
        float[] out = new float[end - start];
        k.dequantize(file.data(t), t.type().bytesFor(start), out, 0, end - start);
        return out;
    }

    /** Bytes of weights this slice holds. */
    public long byteSize() {
        long n = tokenEmbedding == null ? 0 : tokenEmbedding.byteSize();
        for (LayerWeights l : layers) {
            n += l.byteSize();
        }
        if (output != null && (tokenEmbedding == null || output.data() != tokenEmbedding.data())) {
            n += output.byteSize();
        }
        return n;
    }

    /**
     * Every matrix window this slice reads, each once: the layers' in order, then the token embedding and the output
     * (skipped when it is a window of the embedding the slice keeps whole anyway).
     */
    public java.util.List<Matrix> matrices() {
        java.util.List<Matrix> out = new java.util.ArrayList<>();
        for (LayerWeights l : layers) {
            out.addAll(java.util.List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()));
        }
        if (tokenEmbedding != null) {
            out.add(tokenEmbedding);
        }
        if (output != null && (tokenEmbedding == null || !output.name().equals(tokenEmbedding.name()))) {
            out.add(output);
        }
        return out;
    }

    /** A copy of every matrix in memory owned by {@code arena}: the worker's resident memory is its slice. */
    public SliceWeights compact(Arena arena) {
        return mapMatrices(m -> m.compact(arena));
    }

    /**
     * Like {@link #compact}, but every matrix that {@link Matrix#canInterleave can} is repacked for decode instead of
     * copied as it is (the same bytes either way); {@code threads} threads share the work.
     */
    public SliceWeights compactInterleaved(Arena arena, int threads) {
        return mapMatricesInParallel(m -> m.canInterleave() ? m.interleave(arena) : m.compact(arena), threads);
    }

    /**
     * The matrices that {@link Matrix#canInterleave can be} repacked into {@code arena}'s memory, the others left
     * where they are (a single node's mapped file); {@code threads} threads share the work.
     */
    public SliceWeights interleaved(Arena arena, int threads) {
        return mapMatricesInParallel(m -> m.interleave(arena), threads);
    }

    /** Whether {@link #interleaved} would repack anything. */
    public boolean hasInterleavable() {
        return matrices().stream().anyMatch(Matrix::canInterleave);
    }

    /**
     * {@link #mapMatrices} with {@code f} applied on {@code threads} threads at once (it must be thread-safe), the
     * largest matrices first so that the threads finish together: repacking a 1B model's matrices is bound by
     * page faults and bit shuffling, 1–2.5 s on one core.
     */
    SliceWeights mapMatricesInParallel(java.util.function.UnaryOperator<Matrix> f, int threads) {
        // exactly the matrices mapMatrices applies f to (matrices() leaves out a tied output cut to a vocabulary range)
        final java.util.List<Matrix> todo = new java.util.ArrayList<>();
        mapMatrices(m -> {
            todo.add(m);
            return m;
        });
        todo.sort(java.util.Comparator.comparingLong(Matrix::byteSize).reversed());
        final java.util.Map<Matrix, Matrix> done = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicReference<RuntimeException> failure =
                new java.util.concurrent.atomic.AtomicReference<>();
        final Runnable work = () -> {
            try {
                for (int i; (i = next.getAndIncrement()) < todo.size() && failure.get() == null; ) {
                    done.put(todo.get(i), f.apply(todo.get(i)));
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        };
        final Thread[] helpers = new Thread[Math.max(0, Math.min(threads, todo.size()) - 1)];
        for (int t = 0; t < helpers.length; t++) {
            helpers[t] = Thread.ofPlatform().name("shoal-load-" + t).start(work);
        }
        work.run();
        for (Thread t : helpers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while loading weights", e);
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return mapMatrices(done::get);
    }

    /** The same weights with every matrix replaced by {@code f(matrix)}. */
    public SliceWeights mapMatrices(java.util.function.UnaryOperator<Matrix> f) {
        LayerWeights[] ls = new LayerWeights[layers.length];
        for (int i = 0; i < ls.length; i++) {
            LayerWeights l = layers[i];
            ls[i] = new LayerWeights(l.attnNorm(), f.apply(l.wq()), f.apply(l.wk()), f.apply(l.wv()),
                    l.bq(), l.bk(), l.bv(), l.qNorm(), l.kNorm(), f.apply(l.wo()), l.ffnNorm(),
                    f.apply(l.gate()), f.apply(l.up()), f.apply(l.down()));
        }
        final Matrix embd = tokenEmbedding == null ? null : f.apply(tokenEmbedding);
        // a tied output that is the whole embedding stays one matrix: one copy, not two
        final Matrix out = output == null ? null : sameWindow(output, tokenEmbedding) ? embd : f.apply(output);
        return new SliceWeights(config, slice, embd, ls, outputNorm, out);
    }

    private static boolean sameWindow(Matrix a, Matrix b) {
        return b != null && a.name().equals(b.name()) && a.data() == b.data() && a.rowStart() == b.rowStart()
                && a.rows() == b.rows() && a.colStart() == b.colStart() && a.cols() == b.cols();
    }
}
