package dev.shoal.tensor.generate;

import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.StepModel;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.List;

/**
 * One sequence from prompt ids to a stop, on a {@link LocalModel}: the prompt in batches of the model's batch
 * size, then sample → stream text → forward until EOS, a stop string, the token budget, the context, or the sink
 * cancels. Text reaches the sink only when it is whole UTF-8 and cannot be the start of a stop string.
 */
public final class Generator {

    private Generator() {
    }

    public static GenerationResult generate(LocalModel lm, int[] prompt, SamplingParams params, GenerationLimits limits,
                                            List<String> stops, TextSink sink) {
        SliceModel m = lm.model();
        int ctx = Math.min(limits.contextLength(), lm.context());
        prompt = SequenceState.checkedPrompt(lm.tokenizer(), prompt, ctx);
        SequenceState seq = new SequenceState(lm.tokenizer(), prompt, params, limits, stops, ctx);
        KvCache cache = m.newCache(ctx);
        long t0 = System.nanoTime();
        float[] logits = prefill(m, prompt, cache);
        long t1 = System.nanoTime();
        while (seq.advance(logits, sink)) {
            logits = m.forward(seq.lastToken(), seq.nextPosition(), cache, true);
        }
        return seq.result(t1 - t0, System.nanoTime() - t1);
    }

    /** Runs the prompt through the model in batches; the logits after its last token. */
    static float[] prefill(StepModel m, int[] prompt, KvCache cache) {
        int batch = m.maxBatch();
        int[] tokens = new int[batch];
        int[] positions = new int[batch];
        KvCache[] caches = new KvCache[batch];
        boolean[] want = new boolean[batch];
        java.util.Arrays.fill(caches, cache);
        for (int start = 0; start < prompt.length; start += batch) {
            int n = Math.min(batch, prompt.length - start);
            for (int b = 0; b < n; b++) {
                tokens[b] = prompt[start + b];
                positions[b] = start + b;
                want[b] = start + b == prompt.length - 1;
            }
            m.forward(n, tokens, positions, caches, want);
        }
        return m.logits((prompt.length - 1) % batch);
    }
}
