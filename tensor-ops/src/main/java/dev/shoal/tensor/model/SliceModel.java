package dev.shoal.tensor.model;

/**
 * The forward pass of one {@link Slice} over a batch of tokens: each token of the batch belongs to some sequence
 * (its own {@link KvCache}) at some position, so one call serves a continuous batch of decoding sequences, a
 * prompt's tokens in one go (same cache, consecutive positions), or both. Every weight matrix is read once per
 * call, whatever the batch size.
 *
 * <p>Tensor-parallel partial sums of the attention-output and FFN-down projections go through the
 * {@link Collective}; other pipeline stages are reached through the {@link StageLink}; with
 * {@link Collective#single()} and {@link Slice#whole} this is the plain single-node model. Buffers are allocated
 * once for {@code maxBatch} tokens; {@link #forward} allocates nothing of its own. Calls must not overlap.
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
    private final int maxBatch;
    private final int maxContext;

    private final int headsLocal;
    private final int qLocal;
    private final int kvLocal;
    private final int ffnLocal;
    // Per batch row b (row-major, b-th block of each): x residual [dim]; xb normed input [dim]; q [qLocal];
    // k, v [kvLocal]; att scores [headsLocal × maxContext]; attOut [qLocal]; o projection partials [dim];
    // hb, hb2 FFN activations [ffnLocal]; logits [vocab] (gathered over the tensor group).
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
    private final float[][] logits;
    private final float[] packedLogits; // [wanted rows × this slice's vocabulary rows]
    // the single-token call's batch of one, kept to avoid allocating per token
    private final int[] oneToken = new int[1];
    private final int[] onePosition = new int[1];
    private final KvCache[] oneCache = new KvCache[1];
    private final boolean[] oneWant = new boolean[1];
    // current call's arguments, read by the worker tasks
    private int n;
    private int[] positions;
    private KvCache[] caches;

    /**
     * @param vocabStarts,vocabEnds the vocabulary partition of every rank of the tensor group (for the gather);
     *                              null means this slice's range alone
     * @param maxContext            the longest sequence any {@link KvCache} passed in will hold
     * @param maxBatch              the most tokens one {@link #forward} call takes
     */
    public SliceModel(SliceWeights weights, Collective collective, StageLink link, WorkerPool pool, int maxContext,
                      int maxBatch, int[] vocabStarts, int[] vocabEnds) {
        this.w = weights;
        this.c = weights.config();
        this.s = weights.slice();
        this.collective = collective;
        this.link = link;
        this.pool = pool;
        this.rope = new Rope(c);
        this.maxContext = maxContext;
        this.maxBatch = maxBatch;
        if (maxBatch < 1 || maxContext < 1) {
            throw new IllegalArgumentException("batch and context must be at least 1");
        }
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
        this.x = new float[maxBatch * c.dim()];
        this.xb = new float[maxBatch * c.dim()];
        this.q = new float[maxBatch * qLocal];
        this.k = new float[maxBatch * kvLocal];
        this.v = new float[maxBatch * kvLocal];
        this.att = new float[maxBatch * headsLocal * maxContext];
        this.attOut = new float[maxBatch * qLocal];
        this.o = new float[maxBatch * c.dim()];
        this.hb = new float[maxBatch * ffnLocal];
        this.hb2 = new float[maxBatch * ffnLocal];
        this.logits = new float[s.producesLogits(c) ? maxBatch : 0][c.vocabSize()];
        this.packedLogits = new float[s.producesLogits(c) ? maxBatch * s.vocabCount() : 0];
    }

    /** Single-token steps (batch of one). */
    public SliceModel(SliceWeights weights, Collective collective, StageLink link, WorkerPool pool, int maxContext,
                      int[] vocabStarts, int[] vocabEnds) {
        this(weights, collective, link, pool, maxContext, 1, vocabStarts, vocabEnds);
    }

    /** A whole model on one node. */
    public static SliceModel whole(SliceWeights weights, WorkerPool pool, int maxContext) {
        return whole(weights, pool, maxContext, 1);
    }

    public static SliceModel whole(SliceWeights weights, WorkerPool pool, int maxContext, int maxBatch) {
        return new SliceModel(weights, Collective.single(), StageLink.NONE, pool, maxContext, maxBatch, null, null);
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

    public int maxBatch() {
        return maxBatch;
    }

    /** A fresh KV cache for one sequence on this slice. */
    public KvCache newCache(int capacity) {
        if (capacity > maxContext) {
            throw new IllegalArgumentException("context " + capacity + " exceeds this model instance's " + maxContext);
        }
        return KvCache.forSlice(c, s, capacity);
    }

    /**
     * One token at one position: the logits (a buffer reused by the next call) on the last stage when
     * {@code wantLogits}, else null.
     */
    public float[] forward(int token, int pos, KvCache cache, boolean wantLogits) {
        oneToken[0] = token;
        onePosition[0] = pos;
        oneCache[0] = cache;
        oneWant[0] = wantLogits;
        forward(1, oneToken, onePosition, oneCache, oneWant);
        return wantLogits && s.producesLogits(c) ? logits[0] : null;
    }

    /** The logits of batch row {@code b} after a {@link #forward} that wanted them. */
    public float[] logits(int b) {
        return logits[b];
    }

    /**
     * Runs {@code count} tokens: token {@code tokens[b]} at {@code positions[b]} of the sequence whose cache is
     * {@code caches[b]}. Tokens of one sequence must come in position order; all of a batch's keys and values are
     * stored before attention, so a prompt's tokens see each other causally. On the last stage fills
     * {@link #logits(int)} for the rows where {@code wantLogits[b]}.
     */
    public void forward(int count, int[] tokens, int[] positions, KvCache[] caches, boolean[] wantLogits) {
        if (count < 1 || count > maxBatch) {
            throw new IllegalArgumentException("batch of " + count + " tokens; this instance takes 1.." + maxBatch);
        }
        final int dim = c.dim();
        final int hd = c.headDim();
        for (int b = 0; b < count; b++) {
            if (positions[b] < 0 || positions[b] >= caches[b].capacity()) {
                throw new IllegalArgumentException("position " + positions[b] + " is outside the context of "
                        + caches[b].capacity());
            }
        }
        this.n = count;
        this.positions = positions;
        this.caches = caches;
        if (s.embedsTokens()) {
            for (int b = 0; b < count; b++) {
                if (tokens[b] < 0 || tokens[b] >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id " + tokens[b] + " is outside the vocabulary of "
                            + c.vocabSize());
                }
                w.tokenEmbedding().row(tokens[b], x, b * dim);
            }
        } else {
            link.receivePrevious(x, count * dim);
        }
        for (int l = 0; l < s.layerCount(); l++) {
            LayerWeights lw = w.layers()[l];
            // attention: norm, this slice's Q/K/V heads
            for (int b = 0; b < count; b++) {
                Ops.rmsnorm(xb, b * dim, x, b * dim, lw.attnNorm(), dim, c.rmsEps());
            }
            matmul(lw.wq(), xb, dim, q, qLocal);
            matmul(lw.wk(), xb, dim, k, kvLocal);
            matmul(lw.wv(), xb, dim, v, kvLocal);
            for (int b = 0; b < count; b++) {
                int qo = b * qLocal;
                int ko = b * kvLocal;
                if (lw.bq() != null) {
                    Ops.add(q, qo, lw.bq(), qLocal);
                    Ops.add(k, ko, lw.bk(), kvLocal);
                    Ops.add(v, ko, lw.bv(), kvLocal);
                }
                if (lw.qNorm() != null) {
                    for (int h = 0; h < headsLocal; h++) {
                        Ops.rmsnorm(q, qo + h * hd, q, qo + h * hd, lw.qNorm(), hd, c.rmsEps());
                    }
                    for (int h = 0; h < s.kvHeadCount(); h++) {
                        Ops.rmsnorm(k, ko + h * hd, k, ko + h * hd, lw.kNorm(), hd, c.rmsEps());
                    }
                }
                rope.apply(q, qo, headsLocal, hd, positions[b]);
                rope.apply(k, ko, s.kvHeadCount(), hd, positions[b]);
                KvCache cache = caches[b];
                System.arraycopy(k, ko, cache.keys(l), positions[b] * cache.stride(), kvLocal);
                System.arraycopy(v, ko, cache.values(l), positions[b] * cache.stride(), kvLocal);
            }
            attention(l);
            // output projection: this slice's columns, summed over the tensor group
            matmul(lw.wo(), attOut, qLocal, o, dim);
            collective.allReduceSum(o, 0, count * dim);
            Ops.add(x, 0, o, count * dim);
            // feed-forward: SwiGLU over this slice's columns
            for (int b = 0; b < count; b++) {
                Ops.rmsnorm(xb, b * dim, x, b * dim, lw.ffnNorm(), dim, c.rmsEps());
            }
            matmul(lw.gate(), xb, dim, hb, ffnLocal);
            matmul(lw.up(), xb, dim, hb2, ffnLocal);
            Ops.swiglu(hb, hb2, count * ffnLocal);
            matmul(lw.down(), hb, ffnLocal, o, dim);
            collective.allReduceSum(o, 0, count * dim);
            Ops.add(x, 0, o, count * dim);
        }
        if (!s.producesLogits(c)) {
            link.sendNext(x, count * dim);
            return;
        }
        outputLogits(count, wantLogits);
    }

    /** Final norm and this slice's vocabulary rows for the batch rows that want logits, gathered over the group. */
    private void outputLogits(int count, boolean[] wantLogits) {
        final int dim = c.dim();
        // wanted rows, normed and packed, so the output matrix streams once for all of them
        int wanted = 0;
        for (int b = 0; b < count; b++) {
            if (wantLogits[b]) {
                Ops.rmsnorm(xb, wanted * dim, x, b * dim, w.outputNorm(), dim, c.rmsEps());
                wanted++;
            }
        }
        if (wanted == 0) {
            return;
        }
        final Matrix out = w.output();
        final int rows = out.rows();
        final int nw = wanted;
        pool.run(rows, (r0, r1) -> out.multiplyBatch(xb, dim, packedLogits, rows, nw, r0, r1));
        for (int b = 0, i = 0; b < count; b++) {
            if (wantLogits[b]) {
                System.arraycopy(packedLogits, i++ * rows, logits[b], s.vocabStart(), rows);
                collective.allGather(logits[b], vocabStarts, vocabEnds);
            }
        }
    }

    /** {@code out[b] = m · in[b]} for every batch row, rows of {@code m} split over the worker pool. */
    private void matmul(Matrix m, float[] in, int inStride, float[] out, int outStride) {
        final int count = n;
        pool.run(m.rows(), (r0, r1) -> m.multiplyBatch(in, inStride, out, outStride, count, r0, r1));
    }

    /** Causal attention of every local query head of every batch row over positions {@code [0, pos]} of its KV head. */
    private void attention(int layer) {
        final int hd = c.headDim();
        final int group = c.queriesPerKvHead();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        final int heads = headsLocal;
        pool.run(n * heads, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int b = i / heads;
                int h = i % heads;
                KvCache cache = caches[b];
                float[] kc = cache.keys(layer);
                float[] vc = cache.values(layer);
                int stride = cache.stride();
                int kvOff = (h / group) * hd;
                int qo = b * qLocal + h * hd;
                int scores = i * maxContext;
                int len = positions[b] + 1;
                for (int t = 0; t < len; t++) {
                    att[scores + t] = Ops.dot(q, qo, kc, t * stride + kvOff, hd) * scale;
                }
                Ops.softmax(att, scores, len);
                java.util.Arrays.fill(attOut, qo, qo + hd, 0f);
                for (int t = 0; t < len; t++) {
                    Ops.axpy(attOut, qo, att[scores + t], vc, t * stride + kvOff, hd);
                }
            }
        });
    }
}
