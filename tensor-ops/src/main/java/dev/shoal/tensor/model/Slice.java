package dev.shoal.tensor.model;

/**
 * The part of a model one worker computes: half-open ranges of layers, of KV-head groups (each KV head brings its
 * {@code heads / kvHeads} query heads), of FFN columns, and of vocabulary rows of the output projection.
 *
 * <p>Pipeline stages differ in the layer range; tensor-parallel ranks of one stage share the layer range and split
 * the other three. The whole model is {@link #whole}. Column ranges of {@code attn_output} and {@code ffn_down}
 * rows must start on a quantization block edge, which {@link SliceWeights} checks when it loads.
 */
public record Slice(int layerStart, int layerEnd, int kvHeadStart, int kvHeadEnd, int ffnStart, int ffnEnd,
                    int vocabStart, int vocabEnd) {

    public Slice {
        if (layerStart < 0 || layerEnd <= layerStart || kvHeadStart < 0 || kvHeadEnd <= kvHeadStart
                || ffnStart < 0 || ffnEnd <= ffnStart || vocabStart < 0 || vocabEnd <= vocabStart) {
            throw new IllegalArgumentException("empty or negative range in " + describe(layerStart, layerEnd,
                    kvHeadStart, kvHeadEnd, ffnStart, ffnEnd, vocabStart, vocabEnd));
        }
    }

    public static Slice whole(ModelConfig c) {
        return new Slice(0, c.layers(), 0, c.kvHeads(), 0, c.ffnDim(), 0, c.vocabSize());
    }

    /** Checks the ranges against the model. */
    public Slice validate(ModelConfig c) {
        if (layerEnd > c.layers() || kvHeadEnd > c.kvHeads() || ffnEnd > c.ffnDim() || vocabEnd > c.vocabSize()) {
            throw new IllegalArgumentException(this + " exceeds the model (" + c.layers() + " layers, " + c.kvHeads()
                    + " KV heads, FFN " + c.ffnDim() + ", vocab " + c.vocabSize() + ")");
        }
        return this;
    }

    /** The same tensor split over another layer range (a pipeline stage). */
    public Slice withLayers(int start, int end) {
        return new Slice(start, end, kvHeadStart, kvHeadEnd, ffnStart, ffnEnd, vocabStart, vocabEnd);
    }

    public boolean embedsTokens() {
        return layerStart == 0;
    }

    public boolean producesLogits(ModelConfig c) {
        return layerEnd == c.layers();
    }

    public int layerCount() {
        return layerEnd - layerStart;
    }

    public int kvHeadCount() {
        return kvHeadEnd - kvHeadStart;
    }

    public int ffnCount() {
        return ffnEnd - ffnStart;
    }

    public int vocabCount() {
        return vocabEnd - vocabStart;
    }

    /** Splits this slice's heads, FFN columns and vocabulary into {@code ranks} near-equal tensor-parallel parts. */
    public Slice tensorPart(int rank, int ranks, int blockSize) {
        return new Slice(layerStart, layerEnd,
                kvHeadStart + split(kvHeadCount(), ranks, rank, 1), kvHeadStart + split(kvHeadCount(), ranks, rank + 1, 1),
                ffnStart + split(ffnCount(), ranks, rank, blockSize), ffnStart + split(ffnCount(), ranks, rank + 1, blockSize),
                vocabStart + split(vocabCount(), ranks, rank, 1), vocabStart + split(vocabCount(), ranks, rank + 1, 1));
    }

    /** Start of part {@code i} of {@code n} over {@code total}, rounded to {@code unit} except at the end. */
    private static int split(int total, int n, int i, int unit) {
        if (i >= n) {
            return total;
        }
        long units = (total + unit - 1) / unit;
        return (int) Math.min(total, units * i / n * unit);
    }

    @Override
    public String toString() {
        return describe(layerStart, layerEnd, kvHeadStart, kvHeadEnd, ffnStart, ffnEnd, vocabStart, vocabEnd);
    }

    private static String describe(int l0, int l1, int h0, int h1, int f0, int f1, int v0, int v1) {
        return "Slice[layers " + l0 + ".." + l1 + ", kv heads " + h0 + ".." + h1 + ", ffn " + f0 + ".." + f1
                + ", vocab " + v0 + ".." + v1 + ")";
    }
}
