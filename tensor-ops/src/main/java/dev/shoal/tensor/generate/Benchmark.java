package dev.shoal.tensor.generate;

import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.LayerWeights;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prompt and decode speed of a {@link LocalModel} as llama-bench measures it: a prompt of random ordinary token
 * ids prefilled in batches, then greedy decode steps that never stop early; with {@code concurrency} > 1, that many
 * sequences decode together in one batch (aggregate tokens per second). Both phases are run until the JIT is done
 * with them, then measured.
 */
public final class Benchmark {

    /**
     * Figures of one run; {@code promptTps} and {@code genTps} are the medians of {@code promptRuns} and
     * {@code genRuns}, one figure per repetition in the order measured; {@code bytesPerToken} counts the weight bytes
     * one decode step streams; {@code repackSeconds} is how long the background repack after the load took
     * ({@link LocalModel#awaitRepacked}; the phases are measured after it).
     */
    public record Result(double loadSeconds, double repackSeconds, int promptTokens, double promptTps, int genTokens,
                         double genTps, int concurrency, double aggregateTps, long bytesPerToken, double gbps,
                         double bandwidthGbps, double[] promptRuns, double[] genRuns) {

        public String toJson() {
            return String.format(java.util.Locale.ROOT, "{\"load_s\":%.3f,\"repack_s\":%.3f,\"prompt_tokens\":%d,"
                            + "\"prompt_tps\":%.2f,"
                            + "\"gen_tokens\":%d,\"gen_tps\":%.2f,\"concurrency\":%d,\"aggregate_tps\":%.2f,"
                            + "\"bytes_per_token\":%d,\"gbps\":%.2f,\"bandwidth_gbps\":%.2f,\"bandwidth_share\":%.3f,"
                            + "\"repetitions\":%d,\"prompt_tps_runs\":%s,\"gen_tps_runs\":%s}",
                    loadSeconds, repackSeconds, promptTokens, promptTps, genTokens, genTps, concurrency, aggregateTps,
                    bytesPerToken, gbps, bandwidthGbps, bandwidthGbps > 0 ? gbps / bandwidthGbps : 0,
                    promptRuns.length, jsonArray(promptRuns), jsonArray(genRuns));
        }

        private static String jsonArray(double[] v) {
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < v.length; i++) {
                s.append(i > 0 ? "," : "").append(String.format(java.util.Locale.ROOT, "%.2f", v[i]));
            }
            return s.append(']').toString();
        }
    }

    private Benchmark() {
    }

    /**
     * Loads nothing (the model is open), warms the JIT up, then measures the prompt and one sequence's decode
     * {@code repetitions} times each, alternating, and the aggregate decode of {@code concurrency} sequences once.
     * On a shared host a phase's speed moves from one second to the next; the median of several repetitions is the
     * figure to compare (llama-bench likewise repeats, five times by default).
     */
    public static Result run(LocalModel lm, int promptTokens, int genTokens, int concurrency, int threads,
                             int repetitions) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, got " + repetitions);
        }
        SliceModel m = lm.model();
        if (promptTokens + genTokens + 1 > lm.context()) {
            throw new IllegalArgumentException("prompt + generated tokens (" + (promptTokens + genTokens)
                    + ") exceed the context " + lm.context() + "; pass a larger --context");
        }
        if (concurrency > m.maxBatch()) {
            throw new IllegalArgumentException("concurrency " + concurrency + " exceeds the batch size " + m.maxBatch());
        }
        final double repackSeconds = lm.awaitRepacked();
        int[] prompt = randomPrompt(lm, promptTokens);
        int ctx = promptTokens + genTokens + 1;
        // warm-up: short passes through both phases until the JIT is done with them (a round that spent under
        // 50 ms compiling), at most 6 rounds: on one core a compile still running would be timed as model time
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        for (int round = 0; round < 6; round++) {
            long compiledBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
            measurePrompt(m, java.util.Arrays.copyOf(prompt, Math.min(prompt.length, m.maxBatch() * 2)), ctx);
            measureDecode(m, prompt, Math.min(8, genTokens), 1, ctx);
            if (round > 0 && (!jitTimed || jit.getTotalCompilationTime() - compiledBefore < 50)) {
                break;
            }
        }
        final double[] promptRuns = new double[repetitions];
        final double[] genRuns = new double[repetitions];
        for (int r = 0; r < repetitions; r++) {
            promptRuns[r] = promptTokens / measurePrompt(m, prompt, ctx);
            genRuns[r] = genTokens / measureDecode(m, prompt, genTokens, 1, ctx);
        }
        double genTps = median(genRuns);
        double aggregateTps = concurrency > 1
                ? concurrency * genTokens / measureDecode(m, prompt, genTokens, concurrency, ctx) : genTps;
        long bytes = bytesPerToken(m.weights());
        return new Result(lm.loadSeconds(), repackSeconds, promptTokens, median(promptRuns), genTokens, genTps,
                concurrency, aggregateTps, bytes, bytes * genTps / 1e9, readBandwidth(threads), promptRuns, genRuns);
    }

    /** The middle value, or the mean of the two middle ones. */
    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    }

    private static int[] randomPrompt(LocalModel lm, int n) {
        SplittableRandom rnd = new SplittableRandom(42);
        int[] ids = new int[n];
        int vocab = lm.tokenizer().vocabSize();
        for (int i = 0; i < n; i++) {
            int id;
            do {
                id = rnd.nextInt(vocab);
            } while (lm.tokenizer().isEndOfGeneration(id) || id == lm.tokenizer().bos());
            ids[i] = id;
        }
        if (n > 0 && lm.tokenizer().bos() >= 0) {
            ids[0] = lm.tokenizer().bos();
        }
        return ids;
    }

    private static double measurePrompt(SliceModel m, int[] prompt, int ctx) {
        KvCache cache = m.newCache(ctx);
        long t0 = System.nanoTime();
        Generator.prefill(m, prompt, cache);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds for {@code steps} decode steps of {@code n} sequences after a prompt (prefill not timed). */
    private static double measureDecode(SliceModel m, int[] prompt, int steps, int n, int ctx) {
        KvCache[] caches = new KvCache[n];
        int[] tokens = new int[n];
        int[] positions = new int[n];
        boolean[] want = new boolean[n];
        java.util.Arrays.fill(want, true);
        for (int b = 0; b < n; b++) {
            caches[b] = m.newCache(ctx);
            float[] logits = Generator.prefill(m, prompt, caches[b]);
            tokens[b] = argmax(logits);
            positions[b] = prompt.length;
        }
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            m.forward(n, tokens, positions, caches, want);
            for (int b = 0; b < n; b++) {
                tokens[b] = argmax(m.logits(b));
                positions[b]++;
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Weight bytes read by one decode step: every layer matrix plus the output projection. */
    public static long bytesPerToken(SliceWeights w) {
        long n = w.output() == null ? 0 : w.output().byteSize();
        for (LayerWeights l : w.layers()) {
            n += l.matrixBytes();
        }
        return n;
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * Read bandwidth of this machine in GB/s: {@code threads} threads summing their share of a 1 GiB float array
     * with vector loads into four accumulators (one add chain would measure latency, not bandwidth), best of 5
     * passes. 1 GiB because a smaller array can sit in a large last-level cache (480 MiB on some servers) and
     * report cache bandwidth.
     */
    public static double readBandwidth(int threads) {
        float[] data = new float[256 << 20];
        java.util.Arrays.fill(data, 1f);
        double best = 0;
        float[] sink = new float[threads];
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                int chunks = threads * 64;
                int chunk = data.length / chunks;
                pool.run(chunks, (c0, c1) -> sink[c0 % sink.length] += sum(data, c0 * chunk, c1 * chunk));
                double s = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, data.length * 4.0 / s / 1e9);
            }
        }
        return best;
    }

    private static float sum(float[] data, int from, int to) {
        final int l = S.length();
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int i = from; i + 4 * l <= to; i += 4 * l) {
            a0 = a0.add(FloatVector.fromArray(S, data, i));
            a1 = a1.add(FloatVector.fromArray(S, data, i + l));
            a2 = a2.add(FloatVector.fromArray(S, data, i + 2 * l));
            a3 = a3.add(FloatVector.fromArray(S, data, i + 3 * l));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
