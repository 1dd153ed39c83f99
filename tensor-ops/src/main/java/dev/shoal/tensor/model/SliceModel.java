package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.GroupWarmUp;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass of one {@link Slice} over a batch of tokens: each token of the batch belongs to some sequence
 * (its own {@link KvCache}) at some position, so one call serves a continuous batch of decoding sequences, a
 * prompt's tokens in one go (same cache, consecutive positions), or both. Every weight matrix is read once per
 * call, whatever the batch size.
 *
 * <p>Tensor-parallel partial sums of the attention-output and FFN-down projections go through the
 * {@link Collective}; other pipeline stages are reached through the {@link StageLink}; with
 * {@link Collective#single()} and {@link Slice#whole} this is the plain single-node model. Buffers are allocated
 * once for {@code maxBatch} tokens, except three made on first use and kept: a worker thread's attention scores,
 * a batch row's logits, and the packed logits of the most rows wanted so far; after those {@link #forward}
 * allocates nothing of its own. Calls must not overlap.
 *
 * <p>Matmul inputs are quantized per the {@link ActivationMode}: each input buffer once per step for all the
 * matrices that read it ({@link InputActivations}). Work goes to the {@link WorkerPool} through task objects
 * made once here, so a step hands the pool no new objects.
 */
public final class SliceModel implements StepModel {

    private final ModelConfig c;
    private final Slice s;
    /** The weights; swapped only by {@link #forward} itself, between passes, for {@link #replaceWeights}'s. */
    private SliceWeights w;
    /**
     * Types whose row-group kernels this slice runs, now or after a repack: {@link GroupWarmUp} compiles them before
     * the first pass, ahead of all other vector code of the pass. C2 compiles those kernels with the profiles of the
     * Vector API methods they share with whatever ran before; compiled after the passes' own vector code (the
     * activation quantizers, attention) had run, they boxed their vectors in 3 of 4 test JVMs.
     */
    private final GgmlType[] groupKernelTypes;
    private boolean groupKernelsWarm;
    private volatile SliceWeights replacement;
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
    // k, v [kvLocal]; attOut [qLocal]; o projection partials [dim]; hb, hb2 FFN activations [ffnLocal];
    // logits [vocab] (gathered over the tensor group), made the first time row b wants them. Attention scores are
    // per thread, not per row ([maxContext], see scores): a (row, head) pair is done with them before the next.
    // Nothing here grows with batch × context or batch × vocabulary, so prompt chunks can be large.
    private final float[] x;
    private final float[] xb;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final ThreadLocal<float[]> scores;
    private final float[] attOut;
    private final float[] o;
    private final float[] hb;
    private final float[] hb2;
    private final float[][] logits;
    private float[] packedLogits; // [wanted rows × this slice's vocabulary rows], grown to the most rows wanted
    private final ActivationMode activations;
    // the matmul inputs: xb (Q/K/V, gate/up, output), attOut (attention output), hb (FFN down)
    private final InputActivations xbIn;
    private final InputActivations attIn;
    private final InputActivations hbIn;
    private final MatmulTask matmulTask;
    private final WorkerPool.RangeTask attentionTask = this::attention;
    private final HeadTask headTask = new HeadTask();
    /** Rows per chunk a tensor group shares of a whole output matrix: whole row groups, about 1024 rows. */
    private final int headChunkRows;
    private int attentionLayer;
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
        this(weights, collective, link, pool, maxContext, maxBatch, vocabStarts, vocabEnds,
                ActivationMode.fromSystemProperty());
    }

    /** @param activations how matmul inputs reach the kernels (float32, or quantized as llama.cpp does) */
    public SliceModel(SliceWeights weights, Collective collective, StageLink link, WorkerPool pool, int maxContext,
                      int maxBatch, int[] vocabStarts, int[] vocabEnds, ActivationMode activations) {
        this.activations = activations;
        this.w = weights;
        this.groupKernelTypes = weights.matrices().stream().filter(m -> m.interleaved() || m.canInterleave())
                .map(m -> m.kernel().type()).distinct().toArray(GgmlType[]::new);
        this.c = weights.config();
        this.s = weights.slice();
        this.collective = collective;
        this.link = link;
        this.pool = pool;
        this.matmulTask = new MatmulTask(pool.threads() == 1);
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
        this.scores = ThreadLocal.withInitial(() -> new float[maxContext]);
        this.attOut = new float[maxBatch * qLocal];
        this.o = new float[maxBatch * c.dim()];
        this.hb = new float[maxBatch * ffnLocal];
        this.hb2 = new float[maxBatch * ffnLocal];
        this.logits = new float[s.producesLogits(c) ? maxBatch : 0][];
        this.packedLogits = new float[0];
        final int grain = w.output() == null ? 1 : w.output().rowGrain();
        this.headChunkRows = (HEAD_CHUNK_ROWS + grain - 1) / grain * grain;
        List<ActivationType> xbTypes = new ArrayList<>();
        List<ActivationType> attTypes = new ArrayList<>();
        List<ActivationType> hbTypes = new ArrayList<>();
        for (LayerWeights lw : w.layers()) {
            for (Matrix m : List.of(lw.wq(), lw.wk(), lw.wv(), lw.gate(), lw.up())) {
                xbTypes.add(typeFor(m));
            }
            attTypes.add(typeFor(lw.wo()));
            hbTypes.add(typeFor(lw.down()));
        }
        if (w.output() != null) {
            xbTypes.add(typeFor(w.output()));
        }
        this.xbIn = new InputActivations(xb, maxBatch, c.dim(), xbTypes);
        this.attIn = new InputActivations(attOut, maxBatch, qLocal, attTypes);
        this.hbIn = new InputActivations(hb, maxBatch, ffnLocal, hbTypes);
    }

    /** The activation form matrix {@code m} is multiplied with under this model's mode. */
    private ActivationType typeFor(Matrix m) {
        return activations == ActivationMode.F32 ? ActivationType.F32 : m.kernel().activationType();
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

    public static SliceModel whole(SliceWeights weights, WorkerPool pool, int maxContext, int maxBatch,
                                   ActivationMode activations) {
        return new SliceModel(weights, Collective.single(), StageLink.NONE, pool, maxContext, maxBatch, null, null,
                activations);
    }

    public ActivationMode activations() {
        return activations;
    }

    public ModelConfig config() {
        return c;
    }

    public Slice slice() {
        return s;
    }

    public SliceWeights weights() {
        final SliceWeights r = replacement;
        return r != null ? r : w;
    }

    /**
     * Weights the next forward pass (and every later one) uses instead: the same slice's matrices in another
     * layout, e.g. repacked in the background after a fast load (never under a pass: the swap is the pass's first
     * step, on its own thread).
     */
    public void replaceWeights(SliceWeights next) {
        if (!next.slice().equals(s) || next.layers().length != w.layers().length) {
            throw new IllegalArgumentException("replacement weights are for " + next.slice() + ", not " + s);
        }
        replacement = next;
    }

    public int maxContext() {
        return maxContext;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    /** A fresh KV cache for one sequence on this slice. */
    @Override
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
    @Override
    public float[] logits(int b) {
        return logits[b];
    }

    /**
     * Runs {@code count} tokens: token {@code tokens[b]} at {@code positions[b]} of the sequence whose cache is
     * {@code caches[b]}. Tokens of one sequence must come in position order; all of a batch's keys and values are
     * stored before attention, so a prompt's tokens see each other causally. On the last stage fills
     * {@link #logits(int)} for the rows where {@code wantLogits[b]}.
     */
    @Override
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
        if (!groupKernelsWarm) {
            for (GgmlType t : groupKernelTypes) {
                GroupWarmUp.ensure(t);
            }
            groupKernelsWarm = true;
        }
        final SliceWeights next = replacement;
        if (next != null) {
            w = next;
            replacement = null;
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
            xbIn.invalidate(count);
            matmul(lw.wq(), xbIn, q, qLocal);
            matmul(lw.wk(), xbIn, k, kvLocal);
            matmul(lw.wv(), xbIn, v, kvLocal);
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
            attentionLayer = l;
            // a prompt's later rows attend over more positions, so halves would leave one thread about three
            // quarters of the work: shared chunks; one token's heads cost the same, so halves
            if (n > 1) {
                pool.runShared(n * headsLocal, attentionTask, 1);
            } else {
                pool.run(headsLocal, attentionTask);
            }
            attIn.invalidate(count);
            // output projection: this slice's columns, summed over the tensor group
            matmul(lw.wo(), attIn, o, dim);
            collective.allReduceSum(o, 0, count * dim);
            Ops.add(x, 0, o, count * dim);
            // feed-forward: SwiGLU over this slice's columns
            for (int b = 0; b < count; b++) {
                Ops.rmsnorm(xb, b * dim, x, b * dim, lw.ffnNorm(), dim, c.rmsEps());
            }
            xbIn.invalidate(count);
            matmul(lw.gate(), xbIn, hb, ffnLocal);
            matmul(lw.up(), xbIn, hb2, ffnLocal);
            Ops.swiglu(hb, hb2, count * ffnLocal);
            hbIn.invalidate(count);
            matmul(lw.down(), hbIn, o, dim);
            collective.allReduceSum(o, 0, count * dim);
            Ops.add(x, 0, o, count * dim);
        }
        if (!s.producesLogits(c)) {
            link.sendNext(x, count * dim);
            return;
        }
        outputLogits(count, wantLogits);
    }

    /**
     * Final norm and the output rows for the batch rows that want logits, gathered over the group. A slice holding
     * the whole output matrix (a tied embedding it holds anyway) in a group of several shares one row's logits with
     * its peers at run time ({@link Collective#shareRowsToFirst}: the last stretch of the step is not held up by a
     * rank that runs slower for a while); several rows, or a slice with only its own vocabulary rows, make that
     * slice's rows and gather them.
     */
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
        final int vocab = c.vocabSize();
        final boolean wholeInGroup = out.rows() == vocab && collective.size() > 1;
        xbIn.invalidate(wanted);
        if (wholeInGroup && wanted == 1) {
            for (int b = 0; b < count; b++) {
                if (wantLogits[b]) {
                    if (logits[b] == null) {
                        logits[b] = new float[vocab];
                    }
                    headTask.target = logits[b];
                    collective.shareRowsToFirst(logits[b], vocab, headChunkRows, headTask);
                    headTask.target = null;
                }
            }
            return;
        }
        // this slice's vocabulary rows: all of a matrix cut to them, or their range of a whole one
        final int rows = wholeInGroup ? vocab : out.rows();
        final int from = wholeInGroup ? s.vocabStart() : 0;
        final int to = wholeInGroup ? s.vocabEnd() : rows;
        if (packedLogits.length < wanted * rows) {
            packedLogits = new float[wanted * rows];
        }
        matmul(out, xbIn, packedLogits, rows, wanted, from, to);
        for (int b = 0, i = 0; b < count; b++) {
            if (wantLogits[b]) {
                if (logits[b] == null) {
                    logits[b] = new float[vocab];
                }
                System.arraycopy(packedLogits, i++ * rows + from, logits[b], s.vocabStart(), to - from);
                collective.gatherToFirst(logits[b], vocabStarts, vocabEnds);
            }
        }
    }

    /** Rows of one batch row's logits for {@link Collective#shareRowsToFirst}, straight into its array. */
    private final class HeadTask implements Collective.RowTask {
        private float[] target;

        @Override
        public void compute(int from, int to) {
            matmul(w.output(), xbIn, target, c.vocabSize(), 1, from, to);
        }
    }

    /** {@code out[b] = m · in[b]} for every batch row, rows of {@code m} split over the worker pool. */
    private void matmul(Matrix m, InputActivations in, float[] out, int outStride) {
        matmul(m, in, out, outStride, n);
    }

    /**
     * {@code out[b] = m · in[b]} for the first {@code inputs} rows of {@code in}. The threads take chunks of rows
     * from a shared counter, so a thread that runs slower for a while (on the anchor machine's two vCPUs one of two
     * threads of the same prefill kernel at times runs at 50–60 % of the other's speed for seconds, in C as in
     * Java) leaves the rest to the faster one instead of setting the pace. Decode-shaped products (fewer inputs than
     * {@link Matrix#TILE_FROM_BATCH}, each row streamed once per input) take chunks of row groups; tiled ones take
     * chunks of whole tiles, from inputs laid out in panels once on this thread for every chunk
     * ({@link InputActivations#panels}).
     */
    private void matmul(Matrix m, InputActivations in, float[] out, int outStride, int inputs) {
        matmul(m, in, out, outStride, inputs, 0, m.rows());
    }

    /**
     * Rows {@code [from, to)} of {@link #matmul(Matrix, InputActivations, float[], int, int)}, widened to whole
     * units (row groups or tiles; the rows around the range are made too, into the same places of {@code out}).
     */
    private void matmul(Matrix m, InputActivations in, float[] out, int outStride, int inputs, int from, int to) {
        final ActivationType t = typeFor(m);
        final boolean tiled = inputs >= Matrix.TILE_FROM_BATCH;
        final float[] panels = m.readsPanels(t, inputs, matmulTask.oneThread) ? in.panels(t) : null;
        // chunks hold whole groups of an interleaved matrix, or whole tiles (MatmulTask turns them back into rows)
        final int unit = tiled ? Matrix.TILE_ROWS : m.rowGrain();
        final int first = from / unit;
        matmulTask.set(m, in.get(t), out, outStride, inputs, panels, unit, first);
        final int units = (to + unit - 1) / unit - first;
        pool.runShared(units, matmulTask, tiled ? PREFILL_CHUNK_TILES : WorkerPool.MIN_SHARED_CHUNK);
    }

    /**
     * About how many output rows a tensor group shares as one chunk: 0.1–0.2 ms of one core's work on a 1B model's
     * output (2048 columns), so ranks meet within a fraction of a millisecond, and 128 chunks of a 128K vocabulary.
     */
    private static final int HEAD_CHUNK_ROWS = 1024;

    /**
     * Fewest tiles per shared prefill chunk: 64 rows, so a 512-row K or V projection still splits into eight
     * chunks and a chunk's fixed costs (its first tile's decode, the scratch look-ups) stay small.
     */
    private static final int PREFILL_CHUNK_TILES = 4;

    /**
     * One matmul's arguments, set before each {@link WorkerPool#runShared}; each call of {@link #run(int, int)}
     * computes one range of rows, counted in units of {@code unit} rows.
     */
    private static final class MatmulTask implements WorkerPool.RangeTask {
        private Matrix m;
        private QuantizedActivations in;
        private float[] out;
        private int outStride;
        private int count;
        /** The inputs laid out in panels, when the matrix reads them so; else null. */
        private float[] panels;
        /** Rows per unit of the pool's range: a row group of an interleaved matrix, or a prefill tile. */
        private int unit;
        /** The unit the pool's range starts at: a product of a range of the matrix's rows. */
        private int firstUnit;
        /**
         * Whether the pool has one thread, so that prefill may take the kernels that are faster only there
         * ({@link Matrix#multiplyBatch(QuantizedActivations, float[], int, int, int, int, boolean)}): on the anchor
         * machine's two vCPUs one thread of the 16-bit integer panels prefills 5-40 % faster than the float panels,
         * but two threads of them 2-5 % slower than two of float (one of each side by side was no faster either);
         * the float panels over interleaved rows likewise.
         */
        private final boolean oneThread;

        MatmulTask(boolean oneThread) {
            this.oneThread = oneThread;
        }

        void set(Matrix m, QuantizedActivations in, float[] out, int outStride, int count, float[] panels,
                 int unit, int firstUnit) {
            this.firstUnit = firstUnit;
            this.m = m;
            this.in = in;
            this.out = out;
            this.outStride = outStride;
            this.count = count;
            this.panels = panels;
            this.unit = unit;
        }

        @Override
        public void run(int u0, int u1) {
            m.multiplyBatch(in, out, outStride, count, (firstUnit + u0) * unit,
                    Math.min(m.rows(), (firstUnit + u1) * unit), oneThread, panels);
        }
    }


    /**
     * Causal attention of (batch row, local query head) pairs {@code [i0, i1)} of layer {@link #attentionLayer}
     * over positions {@code [0, pos]} of the head's KV head: the pool splits the pairs, so heads run in parallel.
     */
    private void attention(int i0, int i1) {
        final int layer = attentionLayer;
        final int hd = c.headDim();
        final int group = c.queriesPerKvHead();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        final int heads = headsLocal;
        final float[] att = scores.get();
        for (int i = i0; i < i1; i++) {
            int b = i / heads;
            int h = i % heads;
            KvCache cache = caches[b];
            float[] kc = cache.keys(layer);
            float[] vc = cache.values(layer);
            int stride = cache.stride();
            int kvOff = (h / group) * hd;
            int qo = b * qLocal + h * hd;
            Ops.attendHead(q, qo, kc, vc, kvOff, stride, positions[b] + 1, scale, hd, att, attOut, qo);
        }
    }
}
