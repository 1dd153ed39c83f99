package dev.shoal.transport.step;

import dev.shoal.tensor.generate.BatchScheduler;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.SequenceListener;
import dev.shoal.tensor.generate.SequenceRequest;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.tokenizer.Tokenizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/** Test helpers: greedy requests for a {@link BatchScheduler} and a listener that collects one sequence. */
final class Requests {

    private Requests() {
    }

    static SequenceRequest greedy(final Tokenizer tokenizer, final String prompt, final int maxTokens,
                                  final int context) {
        return new SequenceRequest(tokenizer.encode(prompt, true, false), SamplingParams.greedy(),
                new GenerationLimits(maxTokens, context), List.of());
    }

    /** Collects one sequence's result or error; {@link #firstToken} opens at its first sampled id. */
    static class Collector implements SequenceListener {
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final CountDownLatch firstToken = new CountDownLatch(1);
        volatile long errorAtNanos;

        @Override
        public void onStart(final int promptTokens) {
        }

        @Override
        public void onText(final String text) {
        }

        @Override
        public void onToken(final int id) {
            firstToken.countDown();
        }

        @Override
        public void onDone(final GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(final RuntimeException error) {
            errorAtNanos = System.nanoTime();
            done.completeExceptionally(error);
        }
    }
}
