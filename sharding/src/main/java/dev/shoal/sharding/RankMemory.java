package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;

/**
 * The memory model: what a node needs to hold a tensor part (a template slice's KV heads, FFN columns and vocabulary
 * rows) over any layer range. Prefix sums make each query O(1), so the layer-split search can ask for every range.
 *
 * <p>It counts what {@code SliceWeights.load(...).compact(...)} keeps: the whole token embedding on a slice that
 * starts at layer 0 (it looks up any token); per layer, the rows of Q/K/V and gate/up and the columns of
 * {@code attn_output} and {@code ffn_down} of its heads and FFN range; on a slice that ends at the last layer its own
 * copy of the output rows of its vocabulary range and the final norm — unless it also starts at layer 0 of a model
 * with tied embeddings, whose output rows it reads from the embedding it holds whole. Then the KV cache of its
 * layers and KV heads, and the fixed per-node overhead. (Q4_0 matrices a worker repacks, {@code compactInterleaved},
 * are the same size as their copies.)
 */
final class RankMemory {

    private final ModelShape model;
    private final Slice template;
    private final long[] weightPrefix; // [layers + 1], weightPrefix[l] = bytes of layers [0, l)
    private final long kvPerLayer;
    private final long overhead;

    RankMemory(ModelShape model, Slice template, int context, int batch, long overhead) {
        this.model = model;
        this.template = template;
        int queryRows = template.kvHeadCount() * model.queriesPerKvHead() * model.headDim();
        int kvRows = template.kvHeadCount() * model.headDim();
        this.weightPrefix = new long[model.layers() + 1];
        for (int l = 0; l < model.layers(); l++) {
            weightPrefix[l + 1] = weightPrefix[l]
                    + model.layerShapes().get(l).bytes(queryRows, kvRows, template.ffnCount());
        }
        this.kvPerLayer = template.kvHeadCount() * model.kvBytesPerLayerHead(context, batch);
        this.overhead = overhead;
    }

    /** What {@code slice} needs on one node. */
    static MemoryNeed of(ModelShape model, Slice slice, int context, int batch, long overhead) {
        return new RankMemory(model, slice, context, batch, overhead).need(slice.layerStart(), slice.layerEnd());
    }

    /** The template's part of layers {@code [start, end)}. */
    MemoryNeed need(int start, int end) {
        long weights = weightPrefix[end] - weightPrefix[start];
        if (start == 0) {
            weights += model.embeddingBytes();
        }
        if (end == model.layers()) {
            // a slice of every layer of a tied model reads its output rows from the embedding it holds whole
            weights += (start == 0 && model.tiedEmbeddings() ? 0 : model.output().rowBytes(template.vocabCount()))
                    + model.outputNormBytes();
        }
        return new MemoryNeed(weights, (end - start) * kvPerLayer, overhead);
    }

    /** {@link #need}'s total. */
    long total(int start, int end) {
        return need(start, end).total();
    }

    Slice template() {
        return template;
    }
}
