package dev.shoal.sharding;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.model.Architecture;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the planner needs to know about a model: its hyper-parameters and the type and size of every weight it
 * cuts. Per layer, because real files mix types (a Q4_K_M file keeps some {@code attn_v} and {@code ffn_down} in
 * Q6_K), which changes both a layer's bytes and where a tensor split may cut.
 *
 * @param name            the model file name; nodes that have a file of this name are preferred
 * @param context         the trained context length; a request may not ask for more
 * @param output          the output projection; the token embedding's shape when the embeddings are tied (the last
 *                        stage then keeps its own copy of the rows it needs, as {@code SliceWeights.compact} does)
 * @param outputNormBytes the final norm as the engine holds it (float32)
 */
public record ModelShape(String name, int layers, int dim, int heads, int kvHeads, int headDim, int ffnDim,
                         int vocab, int context, List<LayerShape> layerShapes, MatrixShape tokenEmbedding,
                         MatrixShape output, boolean tiedEmbeddings, long outputNormBytes) {

    public ModelShape {
        Objects.requireNonNull(name, "name");
        layerShapes = List.copyOf(layerShapes);
        Objects.requireNonNull(tokenEmbedding, "tokenEmbedding");
        Objects.requireNonNull(output, "output");
        if (layers <= 0 || dim <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || ffnDim <= 0 || vocab <= 0
                || context <= 0 || outputNormBytes < 0) {
            throw new IllegalArgumentException(name + ": dimensions must be positive");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(name + ": " + heads + " heads are not a multiple of " + kvHeads
                    + " KV heads");
        }
        if (layerShapes.size() != layers) {
            throw new IllegalArgumentException(name + ": " + layers + " layers but " + layerShapes.size()
                    + " layer shapes");
        }
        for (int l = 0; l < layers; l++) {
            checkLayer(name, l, layerShapes.get(l), dim, heads * headDim, kvHeads * headDim, ffnDim);
        }
        expect(name, "token_embd", tokenEmbedding, dim, vocab);
        expect(name, "output", output, dim, vocab);
    }

    private static void checkLayer(String name, int l, LayerShape s, int dim, int qDim, int kvDim, int ffn) {
        String p = "blk." + l + ".";
        expect(name, p + "attn_q", s.attnQ(), dim, qDim);
        expect(name, p + "attn_k", s.attnK(), dim, kvDim);
        expect(name, p + "attn_v", s.attnV(), dim, kvDim);
        expect(name, p + "attn_output", s.attnOutput(), qDim, dim);
        expect(name, p + "ffn_gate", s.ffnGate(), dim, ffn);
        expect(name, p + "ffn_up", s.ffnUp(), dim, ffn);
        expect(name, p + "ffn_down", s.ffnDown(), ffn, dim);
    }

    private static void expect(String name, String tensor, MatrixShape m, int columns, int rows) {
        if (m.columns() != columns || m.rows() != rows) {
            throw new IllegalArgumentException(name + ": " + tensor + " is " + m.columns() + " × " + m.rows()
                    + ", the hyper-parameters make it " + columns + " × " + rows);
        }
    }

    /** The shape of a GGUF file: hyper-parameters as {@link ModelConfig} reads them, types from the tensor table. */
    public static ModelShape of(GgufFile file) {
        ModelConfig c = ModelConfig.fromGguf(file);
        long[] replicated = new long[c.layers()];
        for (TensorInfo t : file.tensors()) {
            String n = t.name();
            if (n.startsWith("blk.") && !isCutMatrix(n)) {
                int layer = Integer.parseInt(n.substring(4, n.indexOf('.', 4)));
                if (layer < c.layers()) {
                    // norms, biases and Q/K norms are dequantized to float32 by SliceWeights
                    replicated[layer] += t.elementCount() * Float.BYTES;
                }
            }
        }
        List<LayerShape> layerShapes = new ArrayList<>(c.layers());
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layerShapes.add(new LayerShape(matrix(file, p + "attn_q.weight"), matrix(file, p + "attn_k.weight"),
                    matrix(file, p + "attn_v.weight"), matrix(file, p + "attn_output.weight"),
                    matrix(file, p + "ffn_gate.weight"), matrix(file, p + "ffn_up.weight"),
                    matrix(file, p + "ffn_down.weight"), replicated[l]));
        }
        MatrixShape embedding = matrix(file, "token_embd.weight");
        MatrixShape output = c.tiedEmbeddings() ? embedding : matrix(file, "output.weight");
        long outputNorm = file.tensor("output_norm.weight").elementCount() * Float.BYTES;
        return new ModelShape(file.path().getFileName().toString(), c.layers(), c.dim(), c.heads(), c.kvHeads(),
                c.headDim(), c.ffnDim(), c.vocabSize(), c.trainedContext(), layerShapes, embedding, output,
                c.tiedEmbeddings(), outputNorm);
    }

    /**
     * The same shape under the name the nodes know its file by (its path under a models directory, '/'-separated),
     * which is what node profiles list, so that the planner can tell which nodes have the file.
     */
    public ModelShape withName(String fileName) {
        return new ModelShape(fileName, layers, dim, heads, kvHeads, headDim, ffnDim, vocab, context, layerShapes,
                tokenEmbedding, output, tiedEmbeddings, outputNormBytes);
    }

    private static boolean isCutMatrix(String name) {
        return name.endsWith(".attn_q.weight") || name.endsWith(".attn_k.weight") || name.endsWith(".attn_v.weight")
                || name.endsWith(".attn_output.weight") || name.endsWith(".ffn_gate.weight")
                || name.endsWith(".ffn_up.weight") || name.endsWith(".ffn_down.weight");
    }

    private static MatrixShape matrix(GgufFile file, String name) {
        return MatrixShape.of(file.tensor(name));
    }

    /**
     * A shape from numbers alone, every matrix of one {@code type} and norms in float32 — for models too big to keep
     * as files in tests (a 70B is a {@link SyntheticShape} of its published hyper-parameters).
     */
    public static ModelShape synthetic(SyntheticShape s, GgmlType type) {
        int qDim = s.heads() * s.headDim();
        int kvDim = s.kvHeads() * s.headDim();
        Architecture a = s.architecture();
        long replicated = 2L * s.dim() * Float.BYTES
                + (a.qkvBias() ? (long) (qDim + 2 * kvDim) * Float.BYTES : 0)
                + (a.qkNorm() ? 2L * s.headDim() * Float.BYTES : 0);
        LayerShape layer = new LayerShape(new MatrixShape(type, s.dim(), qDim), new MatrixShape(type, s.dim(), kvDim),
                new MatrixShape(type, s.dim(), kvDim), new MatrixShape(type, qDim, s.dim()),
                new MatrixShape(type, s.dim(), s.ffnDim()), new MatrixShape(type, s.dim(), s.ffnDim()),
                new MatrixShape(type, s.ffnDim(), s.dim()), replicated);
        MatrixShape embedding = new MatrixShape(type, s.dim(), s.vocabSize());
        return new ModelShape(s.name(), s.layers(), s.dim(), s.heads(), s.kvHeads(), s.headDim(), s.ffnDim(),
                s.vocabSize(), s.context(), java.util.Collections.nCopies(s.layers(), layer), embedding,
                s.tiedEmbeddings() ? embedding : new MatrixShape(type, s.dim(), s.vocabSize()), s.tiedEmbeddings(),
                (long) s.dim() * Float.BYTES);
    }

    /** Query heads that share one KV head; a tensor rank takes whole groups of them. */
    public int queriesPerKvHead() {
        return heads / kvHeads;
    }

    /** The whole model as one slice. */
    public Slice wholeSlice() {
        return new Slice(0, layers, 0, kvHeads, 0, ffnDim, 0, vocab);
    }

    /** A pipeline stage: layers {@code [start, end)} with every head, FFN column and vocabulary row. */
    public Slice stageSlice(int start, int end) {
        return wholeSlice().withLayers(start, end);
    }

    /** Bytes of layer {@code l}. */
    public long layerBytes(int l) {
        return layerShapes.get(l).bytes();
    }

    /** Bytes of the token embedding, which the first stage holds whole. */
    public long embeddingBytes() {
        return tokenEmbedding.bytes();
    }

    /** Bytes of the output projection (a copy of the embedding rows when tied). */
    public long outputBytes() {
        return output.bytes();
    }

    /** Bytes of every weight of a single-node copy, as the engine holds it. */
    public long weightBytes() {
        long n = embeddingBytes() + outputBytes() + outputNormBytes;
        for (LayerShape l : layerShapes) {
            n += l.bytes();
        }
        return n;
    }

    /** The {@code attn_output} type with the widest block: its columns are cut at KV-head-group edges. */
    public GgmlType attnOutputType() {
        GgmlType widest = layerShapes.getFirst().attnOutput().type();
        for (LayerShape l : layerShapes) {
            if (l.attnOutput().type().blockSize() > widest.blockSize()) {
                widest = l.attnOutput().type();
            }
        }
        return widest;
    }

    /** The {@code ffn_down} type with the widest block: FFN ranges start on its block edges. */
    public GgmlType ffnDownType() {
        GgmlType widest = layerShapes.getFirst().ffnDown().type();
        for (LayerShape l : layerShapes) {
            if (l.ffnDown().type().blockSize() > widest.blockSize()) {
                widest = l.ffnDown().type();
            }
        }
        return widest;
    }

    /** KV cache bytes for one layer and one KV head: keys and values, float32, {@code context} × {@code batch}. */
    public long kvBytesPerLayerHead(int context, int batch) {
        return 2L * headDim * context * Float.BYTES * batch;
    }
}
