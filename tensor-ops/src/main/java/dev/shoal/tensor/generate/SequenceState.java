package dev.shoal.tensor.generate;

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
import java.util.Optional;

/**
 * The per-sequence half of generation, shared by the one-sequence {@link Generator} and the {@link BatchScheduler}:
 * given the logits after the latest token, {@link #advance} samples, decides whether to stop, and passes the text
 * that is safe to show to the sink. The forward passes are the caller's.
 */
final class SequenceState {

    private final Tokenizer tokenizer;
    private final int[] prompt;
    private final int context;
    private final GenerationLimits limits;
    private final Sampler sampler;
    private final TokenHistory history;
    private final StreamDecoder decoder;
    private final StopStrings stopper;
    private final StringBuilder text = new StringBuilder();
    private int[] ids = new int[16];
    private int generated;
    private StopReason reason;

    /** @param context the sequence's KV capacity (prompt + generated tokens never exceed it) */
    SequenceState(Tokenizer tokenizer, int[] prompt, SamplingParams params, GenerationLimits limits, List<String> stops,
                  int context) {
        this.tokenizer = tokenizer;
        this.prompt = prompt;
        this.context = context;
        this.limits = limits;
        this.sampler = new Sampler(params);
        this.history = sampler.newHistory();
        history.addAll(prompt);
        this.decoder = tokenizer.newStreamDecoder();
        this.stopper = new StopStrings(stops);
    }

    /**
     * Primes the text decoder and the stop-string matcher with the last {@code ids} prompt tokens, output of this
     * sequence already sent from another placement: what they completed is not emitted again, what they left
     * pending (a split character, stop-string candidates) stays pending; the sampler's random stream moves past the
     * draws those tokens took, so a sampled sequence goes on as it would have.
     */
    void resume(int ids) {
        sampler.skipDraws(ids);
        for (int i = prompt.length - ids; i < prompt.length; i++) {
            StopStrings.Step step = stopper.accept(decoder.feed(prompt[i]));
            if (step instanceof StopStrings.Stopped) {
                throw new IllegalArgumentException("the resumed output already contains a stop string");
            }
        }
    }

    /** The prompt with BOS for an empty one; refuses a prompt that leaves no room to generate. */
    static int[] checkedPrompt(Tokenizer tok, int[] prompt, int context) {
        if (prompt.length == 0) {
            if (tok.bos() < 0) {
                throw new IllegalArgumentException("empty prompt and the model has no BOS token to start from");
            }
            prompt = new int[] {tok.bos()};
        }
        if (prompt.length >= context) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the context holds "
                    + context + "; shorten the prompt or raise the context length");
        }
        return prompt;
    }

    int[] prompt() {
        return prompt;
    }

    /** Position the next fed token takes (the last sampled one). */
    int nextPosition() {
        return prompt.length + generated - 1;
    }

    /** Tokens sampled so far. */
    int generatedCount() {
        return generated;
    }

    /** The {@code i}-th sampled token. */
    int generatedId(int i) {
        return ids[i];
    }

    int lastToken() {
        return ids[generated - 1];
    }

    StopReason reason() {
        return reason;
    }

    /**
     * Samples from {@code logits} and emits text. Returns true when the sampled token must be fed for another
     * step; false when the sequence has ended ({@link #reason()} says why; the sink has had all its text).
     */
    boolean advance(float[] logits, TextSink sink) {
        Optional<StopReason> limit = limits.reached(generated, prompt.length + generated);
        if (limit.isEmpty() && prompt.length + generated >= context) {
            limit = Optional.of(StopReason.CONTEXT_FULL);
        }
        if (limit.isPresent()) {
            return finish(limit.get(), sink);
        }
        int next = sampler.sample(logits, tokenizer.vocabSize(), history);
        history.add(next);
        if (generated == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[generated++] = next;
        if (tokenizer.isEndOfGeneration(next)) {
            return finish(StopReason.EOS, sink);
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
                return false;
            }
        }
        if (step instanceof StopStrings.Stopped) {
            reason = StopReason.STOP_STRING;
            return false;
        }
        Optional<StopReason> after = limits.reached(generated, prompt.length + generated);
        if (after.isEmpty() && prompt.length + generated >= context) {
            after = Optional.of(StopReason.CONTEXT_FULL);
        }
        if (after.isPresent()) {
            // a limit reached now ends the sequence without a wasted forward pass
            return finish(after.get(), sink);
        }
        return true;
    }

    /** Ends the sequence for {@code why}, flushing held-back text (which may itself hit a stop string). */
    private boolean finish(StopReason why, TextSink sink) {
        reason = why;
        String rest = switch (stopper.accept(decoder.flush())) {
            case StopStrings.Emit e -> e.text() + stopper.flush();
            case StopStrings.Stopped s -> {
                reason = StopReason.STOP_STRING;
                yield s.text();
            }
        };
        if (!rest.isEmpty()) {
            text.append(rest);
            sink.accept(rest);
        }
        return false;
    }

    void cancel() {
        reason = StopReason.CANCELLED;
    }

    GenerationResult result(long promptNanos, long generationNanos) {
        return new GenerationResult(prompt.length, Arrays.copyOf(ids, generated), text.toString(), reason,
                promptNanos, generationNanos);
    }
}
