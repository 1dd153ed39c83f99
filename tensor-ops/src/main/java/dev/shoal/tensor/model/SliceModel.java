package dev.shoal.tensor.model;

/**
 * The forward pass of one {@link Slice}: token in, logits out (last stage) or the residual stream handed on (other
 * stages). Tensor-parallel partial sums of the attention output and FFN down projections go through the
 * {@link Collective}; with {@link Collective#single()} and {@link Slice#whole} this is the plain single-node model.
 *
 * <p>All activation buffers are allocated once here; {@link #forward} allocates nothing of its own. One step at a
 * time: the caller serialises calls (the KV cache of each sequence is passed in).
 */
public final class SliceModel {

    private final ModelConfig c;
    private final Slice s;
    private final SliceWeights w;
    private final Collective collective;
    private final StageLink link;
    private final WorkerPool pool;
    private final Rope rope;
    private final int[] vocabStarts;
    private final int[] vocabEnds;

    private final int headsLocal;
    private final int qLocal;
    private final int kvLocal;
    private final int ffnLocal;
    // x: residual stream [dim]; xb: normed input [dim]; q [qLocal]; k, v [kvLocal]; att: scores [headsLocal × ctx]
    // attOut: heads' outputs [qLocal]; o: projection partial sums [dim]; hb, hb2: FFN [ffnLocal]; logits [vocab]
    private final float[] x;
    private final float[] xb;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;
    private final float[] attOut;
    private final float[] o;
    private final float[] hb;
    private final float[] hb2;
    private final float[] logits;
    private final int maxContext;

    /**
     * @param vocabStarts,vocabEnds the vocabulary partition of every rank of the tensor group (for the gather);
     *                              null means this slice's range alone
     * @param maxContext            the longest sequence any {@link KvCache} passed in will hold
     */
    public SliceModel(SliceWeights weights, Collective collective, StageLink link, WorkerPool pool, int maxContext,
                      int[] vocabStarts, int[] vocabEnds) {
        this.w = weights;
        this.c = weights.config();
        this.s = weights.slice();
        this.collective = collective;
        this.link = link;
        this.pool = pool;
        this.rope = new Rope(c);
        this.maxContext = maxContext;
        this.vocabStarts = vocabStarts != null ? vocabStarts : new int[] {s.vocabStart()};
        this.vocabEnds = vocabEnds != null ? vocabEnds : new int[] {s.vocabEnd()};
        if (this.vocabStarts.length != collective.size() || this.vocabEnds.length != collective.size()) {
            throw new IllegalArgumentException("vocabulary partition has " + this.vocabStarts.length
                    + " parts for a group of " + collective.size());
        }
        this.headsLocal = s.kvHeadCount() * c.queriesPerKvHead();
        this.qLocal = headsLocal * c.headDim();
        this.kvLocal = s.kvHeadCount() * c.headDim();
        this.ffnLocal = s.ffnCount();
        this.x = new float[c.dim()];
        this.xb = new float[c.dim()];
        this.q = new float[qLocal];
        this.k = new float[kvLocal];
        this.v = new float[kvLocal];
        this.att = new float[headsLocal * maxContext];
        this.attOut = new float[qLocal];
        this.o = new float[c.dim()];
        this.hb = new float[ffnLocal];
        this.hb2 = new float[ffnLocal];
        this.logits = new float[c.vocabSize()];
    }

    /** A whole model on one node. */
    public static SliceModel whole(SliceWeights weights, WorkerPool pool, int maxContext) {
        return new SliceModel(weights, Collective.single(), StageLink.NONE, pool, maxContext, null, null);
    }

    public ModelConfig config() {
        return c;
    }

    public Slice slice() {
        return s;
    }

    public SliceWeights weights() {
        return w;
    }

    public int maxContext() {
        return maxContext;
    }

    /** A fresh KV cache for one sequence on this slice. */
    public KvCache newCache(int capacity) {
        if (capacity > maxContext) {
            throw new IllegalArgumentException("context " + capacity + " exceeds this model instance's " + maxContext);
        }
        return KvCache.forSlice(c, s, capacity);
    }

    /**
     * Runs token {@code token} at position {@code pos} through the slice. On the last stage returns the full
     * logits (a buffer reused by the next call) when {@code wantLogits}, else null; other stages return null
     * after handing the residual stream on.
     */
    public float[] forward(int token, int pos, KvCache cache, boolean wantLogits) {
        if (pos < 0 || pos >= cache.capacity()) {
            throw new IllegalArgumentException("position " + pos + " is outside the context of " + cache.capacity());
        }
        final int dim = c.dim();
        final int hd = c.headDim();
        if (s.embedsTokens()) {
            if (token < 0 || token >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + c.vocabSize());
            }
            w.tokenEmbedding().row(token, x, 0);
        } else {
            link.receivePrevious(x, dim);
        }
        for (int l = 0; l < s.layerCount(); l++) {
            LayerWeights lw = w.layers()[l];
            // attention: norm, this slice's Q/K/V heads
            Ops.rmsnorm(xb, 0, x, 0, lw.attnNorm(), dim, c.rmsEps());
            matmul(lw.wq(), xb, q);
            matmul(lw.wk(), xb, k);
            matmul(lw.wv(), xb, v);
            if (lw.bq() != null) {
                Ops.add(q, lw.bq(), qLocal);
                Ops.add(k, lw.bk(), kvLocal);
                Ops.add(v, lw.bv(), kvLocal);
            }
            if (lw.qNorm() != null) {
                for (int h = 0; h < headsLocal; h++) {
                    Ops.rmsnorm(q, h * hd, q, h * hd, lw.qNorm(), hd, c.rmsEps());
                }
                for (int h = 0; h < s.kvHeadCount(); h++) {
                    Ops.rmsnorm(k, h * hd, k, h * hd, lw.kNorm(), hd, c.rmsEps());
                }
            }
            rope.apply(q, 0, headsLocal, hd, pos);
            rope.apply(k, 0, s.kvHeadCount(), hd, pos);
            float[] kc = cache.keys(l);
            float[] vc = cache.values(l);
            int stride = cache.stride();
            System.arraycopy(k, 0, kc, pos * stride, kvLocal);
            System.arraycopy(v, 0, vc, pos * stride, kvLocal);
            attention(kc, vc, stride, pos);
            // output projection: this slice's columns, summed over the tensor group
            matmul(lw.wo(), attOut, o);
            collective.allReduceSum(o, 0, dim);
            Ops.add(x, o, dim);
            // feed-forward: SwiGLU over this slice's columns
            Ops.rmsnorm(xb, 0, x, 0, lw.ffnNorm(), dim, c.rmsEps());
            matmul(lw.gate(), xb, hb);
            matmul(lw.up(), xb, hb2);
            Ops.swiglu(hb, hb2, ffnLocal);
            matmul(lw.down(), hb, o);
            collective.allReduceSum(o, 0, dim);
            Ops.add(x, o, dim);
        }
        if (!s.producesLogits(c)) {
            link.sendNext(x, dim);
            return null;
        }
        if (!wantLogits) {
            return null;
        }
        Ops.rmsnorm(xb, 0, x, 0, w.outputNorm(), dim, c.rmsEps());
        Matrix out = w.output();
        pool.run(out.rows(), (a, b) -> out.multiply(xb, 0, logits, s.vocabStart(), a, b));
        collective.allGather(logits, vocabStarts, vocabEnds);
        return logits;
    }

    private void matmul(Matrix m, float[] in, float[] out) {
        pool.run(m.rows(), (a, b) -> m.multiply(in, 0, out, 0, a, b));
    }

    /** Causal attention of every local query head over positions {@code [0, pos]} of its KV head. */
    private void attention(float[] kc, float[] vc, int stride, int pos) {
        final int hd = c.headDim();
        final int group = c.queriesPerKvHead();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        final int len = pos + 1;
        pool.run(headsLocal, (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                int kvHead = h / group;
                int scores = h * maxContext;
                for (int t = 0; t < len; t++) {
                    att[scores + t] = Ops.dot(q, h * hd, kc, t * stride + kvHead * hd, hd) * scale;
                }
                Ops.softmax(att, scores, len);
                java.util.Arrays.fill(attOut, h * hd, (h + 1) * hd, 0f);
                for (int t = 0; t < len; t++) {
                    Ops.axpy(attOut, h * hd, att[scores + t], vc, t * stride + kvHead * hd, hd);
                }
            }
        });
    }
}
