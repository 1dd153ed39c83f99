package dev.shoal.tensor.sample;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks the next token of one sequence from its logits. Create one per sequence; it is not thread-safe.
 *
 * <p>The chain is llama.cpp's default order, minus the samplers we do not offer (DRY, top-n-σ, typical, XTC):
 * penalties → top-k → top-p → min-p → temperature → draw. Temperature comes last, so top-p and min-p judge the
 * untempered distribution, exactly as llama.cpp does; temperature only reshapes the survivors. Temperature 0 is
 * argmax after the penalties (every filter keeps the most likely token, so they cannot change it); ties go to the
 * lowest id, which is also the tie rule of every ordering below. NaN logits are treated as -∞.
 *
 * <p>Hot path: after the first call (which sizes the buffers to the vocabulary) a call allocates nothing.
 * Candidates are token ids in {@code idx[0, n)}; top-k is a quickselect, and top-p sorts only as many of the
 * best candidates as it needs (64, then 4× more each round) instead of the whole vocabulary.
 */
public final class Sampler {

    private static final int FIRST_NUCLEUS_CHUNK = 64;
    private static final int INSERTION_SORT_MAX = 16;

    private final SamplingParams params;
    private final RandomGenerator random;
    private final float temperature;
    private final int topK;
    private final double topP;
    private final float logMinP;
    private final boolean penalties;
    private final float repetition;
    private final float frequency;
    private final float presence;

    private float[] work = new float[0];   // penalised logits, indexed by token id
    private int[] idx = new int[0];        // candidate token ids
    private double[] weight = new double[0]; // unnormalised probabilities of idx[i] during the draw
    private float maxLogit;                   // max logit of the survivors of the last truncate()

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(params.seed());
        this.temperature = (float) params.temperature();
        this.topK = params.topK();
        this.topP = params.topP();
        this.logMinP = params.minP() > 0 ? (float) Math.log(params.minP()) : Float.NEGATIVE_INFINITY;
        this.penalties = params.penaltiesActive();
        this.repetition = (float) params.repetitionPenalty();
        this.frequency = (float) params.frequencyPenalty();
        this.presence = (float) params.presencePenalty();
    }

    public SamplingParams params() {
        return params;
    }

    /** A history with this sampler's penalty window, for the caller to feed prompt and generated tokens. */
    public TokenHistory newHistory() {
        return new TokenHistory(params.penaltyLastN());
    }

    /**
     * The next token. {@code logits[0, vocabSize)} are read, never written. {@code history} may be null when the
     * sequence has no tokens yet; otherwise its window must be this sampler's {@code penaltyLastN}.
     */
    public int sample(float[] logits, int vocabSize, TokenHistory history) {
        penalise(logits, vocabSize, history);
        if (temperature == 0) {
            return argmax(work, vocabSize);
        }
        int n = truncate(vocabSize);
        if (n < 0) {
            return argmax(work, vocabSize); // every logit is -inf: fall back to the deterministic answer
        }
        return draw(n, maxLogit);
    }

    /**
     * Moves the random stream past {@code tokens} tokens sampled by an earlier run of the same sequence with the
     * same parameters (each sampled token takes one draw; greedy sampling takes none), so that a sequence continued
     * elsewhere after a failure draws what the uninterrupted run would have drawn next. A run that met a step whose
     * logits were all -inf (argmax, no draw) is one draw off from there on.
     */
    public void skipDraws(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0: " + tokens);
        }
        if (temperature == 0) {
            return;
        }
        for (int i = 0; i < tokens; i++) {
            random.nextDouble();
        }
    }

    /** Test hook: the logits after the penalties (a fresh copy). */
    float[] penalisedLogits(float[] logits, int vocabSize, TokenHistory history) {
        penalise(logits, vocabSize, history);
        return Arrays.copyOf(work, vocabSize);
    }

    /** Test hook: the token ids that survive top-k, top-p and min-p, in the sampler's order; null if none. */
    int[] candidates(float[] logits, int vocabSize, TokenHistory history) {
        penalise(logits, vocabSize, history);
        int n = truncate(vocabSize);
        return n < 0 ? null : Arrays.copyOf(idx, n);
    }

    // Copies the logits into work (NaN becomes -inf) and applies the penalties.
    private void penalise(float[] logits, int vocabSize, TokenHistory history) {
        if (vocabSize <= 0 || vocabSize > logits.length) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " does not fit logits of length " + logits.length);
        }
        if (history != null && history.window() != params.penaltyLastN()) {
            throw new IllegalArgumentException("history window " + history.window()
                    + " differs from penaltyLastN " + params.penaltyLastN() + "; use Sampler.newHistory()");
        }
        ensureCapacity(vocabSize);
        float[] w = work;
        for (int i = 0; i < vocabSize; i++) {
            float l = logits[i];
            w[i] = l != l ? Float.NEGATIVE_INFINITY : l;
        }
        if (penalties && history != null) {
            applyPenalties(w, vocabSize, history);
        }
    }

    // top-k, top-p, min-p over work; leaves the survivors in idx[0, n) and their max logit in maxLogit.
    // Returns n, or -1 when no token has a finite logit.
    private int truncate(int vocabSize) {
        float[] w = work;
        int[] c = idx;
        for (int i = 0; i < vocabSize; i++) {
            c[i] = i;
        }
        int n = vocabSize;
        if (topK > 0 && topK < n) {
            selectBest(0, n, topK);
            n = topK;
        }
        float max = w[c[0]];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, w[c[i]]);
        }
        maxLogit = max;
        if (max == Float.NEGATIVE_INFINITY) {
            return -1;
        }
        if (topP < 1) {
            n = nucleus(n, max);
        }
        if (logMinP != Float.NEGATIVE_INFINITY) {
            n = minP(n, max);
        }
        return n;
    }

    private void ensureCapacity(int vocabSize) {
        if (work.length < vocabSize) {
            work = new float[vocabSize];
            idx = new int[vocabSize];
            weight = new double[vocabSize];
        }
    }

    // llama.cpp: a positive logit is divided by the repetition penalty, a non-positive one multiplied (so the
    // token always becomes less likely); then logit -= count * frequency + (count > 0) * presence.
    private void applyPenalties(float[] w, int vocabSize, TokenHistory history) {
        for (int s = 0, slots = history.slots(); s < slots; s++) {
            int token = history.tokenAt(s);
            if (token < 0 || token >= vocabSize) {
                continue;
            }
            int count = history.countAt(s);
            float l = w[token];
            if (repetition != 1f) {
                l = l > 0 ? l / repetition : l * repetition;
            }
            w[token] = l - (count * frequency + presence);
        }
    }

    private static int argmax(float[] w, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (w[i] > w[best]) {
                best = i;
            }
        }
        return best;
    }

    // Keeps the shortest prefix of the candidates, most likely first, whose probability mass reaches topP
    // (llama.cpp: stop at the first i with cumsum >= p). Probabilities are exp(l - max) / Z over the current
    // candidates; the target is compared in unnormalised units to avoid a division per token.
    private int nucleus(int n, float max) {
        float[] w = work;
        int[] c = idx;
        double z = 0;
        for (int i = 0; i < n; i++) {
            z += Math.exp(w[c[i]] - max);
        }
        double target = topP * z;
        double cum = 0;
        int done = 0;
        for (int chunk = FIRST_NUCLEUS_CHUNK; done < n; chunk = (int) Math.min(Integer.MAX_VALUE / 2, 4L * chunk)) {
            int end = (int) Math.min(n, (long) done + chunk);
            if (end < n) {
                selectBest(done, n, end - done);
            }
            sortBest(done, end);
            for (int i = done; i < end; i++) {
                cum += Math.exp(w[c[i]] - max);
                if (cum >= target) {
                    return i + 1;
                }
            }
            done = end;
        }
        return n;
    }

    // Keeps candidates with p >= minP * p_max, i.e. logit >= max + ln(minP); order is preserved.
    private int minP(int n, float max) {
        float[] w = work;
        int[] c = idx;
        float threshold = max + logMinP;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (w[c[i]] >= threshold) {
                c[kept++] = c[i];
            }
        }
        return kept;
    }

    private int draw(int n, float max) {
        float[] w = work;
        int[] c = idx;
        double[] p = weight;
        double invT = 1.0 / temperature;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp((w[c[i]] - max) * invT);
            p[i] = e;
            sum += e;
        }
        double r = random.nextDouble() * sum;
        double acc = 0;
        int lastPositive = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] > 0) {
                acc += p[i];
                lastPositive = i;
                if (r < acc) {
                    return c[i];
                }
            }
        }
        return c[lastPositive]; // r fell past the rounded sum
    }

    /** Whether token a ranks before token b: higher logit first, then lower id. A strict total order. */
    private boolean before(int a, int b) {
        float la = work[a];
        float lb = work[b];
        return la > lb || (la == lb && a < b);
    }

    /**
     * Rearranges {@code idx[lo, hi)} so that its best {@code k} candidates occupy {@code idx[lo, lo + k)} in no
     * particular order (quickselect, median-of-three; falls back to sorting if it degenerates).
     */
    private void selectBest(int lo, int hi, int k) {
        int target = lo + k; // boundary: everything before it must rank before everything after it
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(hi - lo));
        while (hi - lo > INSERTION_SORT_MAX) {
            if (budget-- == 0) {
                sortBest(lo, hi);
                return;
            }
            int p = partition(lo, hi);
            if (p == target || p + 1 == target) {
                return;
            }
            if (p < target) {
                lo = p + 1;
            } else {
                hi = p;
            }
        }
        sortBest(lo, hi);
    }

    /** Lomuto partition around a median-of-three pivot; returns the pivot's final index. */
    private int partition(int lo, int hi) {
        int[] c = idx;
        int mid = (lo + hi) >>> 1;
        int last = hi - 1;
        // order c[lo], c[mid], c[last] so that the median sits at mid, then park it at the end
        if (before(c[mid], c[lo])) swap(lo, mid);
        if (before(c[last], c[lo])) swap(lo, last);
        if (before(c[last], c[mid])) swap(mid, last);
        swap(mid, last);
        int pivot = c[last];
        int store = lo;
        for (int i = lo; i < last; i++) {
            if (before(c[i], pivot)) {
                swap(i, store++);
            }
        }
        swap(store, last);
        return store;
    }

    /** Sorts {@code idx[lo, hi)} best first: insertion sort when short, heapsort otherwise (no recursion). */
    private void sortBest(int lo, int hi) {
        int[] c = idx;
        if (hi - lo <= INSERTION_SORT_MAX) {
            for (int i = lo + 1; i < hi; i++) {
                int v = c[i];
                int j = i - 1;
                while (j >= lo && before(v, c[j])) {
                    c[j + 1] = c[j];
                    j--;
                }
                c[j + 1] = v;
            }
            return;
        }
        // Heap whose root is the worst candidate; popping the worst to the end yields best-first order.
        int n = hi - lo;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(lo, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            swap(lo, lo + end);
            siftDown(lo, 0, end);
        }
    }

    private void siftDown(int base, int i, int n) {
        int[] c = idx;
        int v = c[base + i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && before(c[base + child], c[base + child + 1])) {
                child++; // pick the worse child
            }
            if (!before(v, c[base + child])) {
                break; // v is at least as bad as its worse child: the heap order holds
            }
            c[base + i] = c[base + child];
            i = child;
        }
        c[base + i] = v;
    }

    private void swap(int i, int j) {
        int[] c = idx;
        int t = c[i];
        c[i] = c[j];
        c[j] = t;
    }
}
