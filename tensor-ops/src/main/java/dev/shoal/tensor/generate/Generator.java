package dev.shoal.tensor.generate;

import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.Sampler;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import dev.shoal.tensor.sample.StopStrings;
import dev.shoal.tensor.sample.TokenHistory;
import dev.shoal.tensor.tokenizer.StreamDecoder;
import dev.shoal.tensor.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence from prompt ids to a stop, on a {@link LocalModel}: prompt forward passes, then sample → stream
 * text → forward until EOS, a stop string, the token budget, the context, or the sink cancels. Text reaches the
 * sink only when it is whole UTF-8 and cannot be the start of a stop string.
 */
public final class Generator {

    private Generator() {
    }

    public static GenerationResult generate(LocalModel lm, int[] prompt, SamplingParams params, GenerationLimits limits,
                                            List<String> stops, TextSink sink) {
        Tokenizer tok = lm.tokenizer();
        SliceModel m = lm.model();
        if (prompt.length == 0) {
            if (tok.bos() < 0) {
                throw new IllegalArgumentException("empty prompt and the model has no BOS token to start from");
            }
            prompt = new int[] {tok.bos()};
        }
        int ctx = Math.min(limits.contextLength(), lm.context());
        if (prompt.length >= ctx) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the context holds "
                    + ctx + "; shorten the prompt or raise the context length");
        }
        Sampler sampler = new Sampler(params);
        TokenHistory history = sampler.newHistory();
        history.addAll(prompt);
        KvCache cache = m.newCache(ctx);

        long t0 = System.nanoTime();
        float[] logits = null;
        for (int i = 0; i < prompt.length; i++) {
            logits = m.forward(prompt[i], i, cache, i == prompt.length - 1);
        }
        long t1 = System.nanoTime();

        StreamDecoder decoder = tok.newStreamDecoder();
        StopStrings stopper = new StopStrings(stops);
        StringBuilder text = new StringBuilder();
        int[] ids = new int[16];
        int generated = 0;
        int vocab = tok.vocabSize();
        StopReason reason;
        while (true) {
            var limit = limits.reached(generated, prompt.length + generated);
            if (limit.isEmpty() && prompt.length + generated >= ctx) {
                limit = java.util.Optional.of(StopReason.CONTEXT_FULL);
            }
            if (limit.isPresent()) {
                reason = limit.get();
                break;
            }
            int next = sampler.sample(logits, vocab, history);
            history.add(next);
            if (generated == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[generated++] = next;
            if (tok.isEndOfGeneration(next)) {
                reason = StopReason.EOS;
                break;
            }
            StopStrings.Step step = stopper.accept(decoder.feed(next));
            String out = switch (step) {
                case StopStrings.Emit e -> e.text();
                case StopStrings.Stopped s -> s.text();
            };
            if (!out.isEmpty()) {
                text.append(out);
                if (!sink.accept(out)) {
                    reason = StopReason.CANCELLED;
                    break;
                }
            }
            if (step instanceof StopStrings.Stopped) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (limits.reached(generated, prompt.length + generated).isPresent() || prompt.length + generated >= ctx) {
                continue; // the next turn reports the limit without a wasted forward pass
            }
            logits = m.forward(next, prompt.length + generated - 1, cache, true);
        }
        if (reason != StopReason.STOP_STRING && reason != StopReason.CANCELLED) {
            String rest = switch (stopper.accept(decoder.flush())) {
                case StopStrings.Emit e -> e.text() + stopper.flush();
                case StopStrings.Stopped s -> s.text();
            };
            if (!rest.isEmpty()) {
                text.append(rest);
                sink.accept(rest);
            }
        }
        long t2 = System.nanoTime();
        return new GenerationResult(prompt.length, Arrays.copyOf(ids, generated), text.toString(), reason, t1 - t0,
                t2 - t1);
    }
}
