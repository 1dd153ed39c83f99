package dev.shoal.tensor.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {

    static LocalModel model;

    @BeforeAll
    static void load() throws Exception {
        model = LocalModel.open(SharedModels.require("stories260K.gguf"), 2, 512, 16);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Collects one sequence's events. */
    static final class Collector implements SequenceListener {
        final StringBuilder text = new StringBuilder();
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final AtomicInteger starts = new AtomicInteger();
        final CountDownLatch firstText = new CountDownLatch(1);

        @Override
        public void onStart(int promptTokens) {
            starts.incrementAndGet();
        }

        @Override
        public void onText(String t) {
            text.append(t);
            firstText.countDown();
        }

        @Override
        public void onDone(GenerationResult r) {
            done.complete(r);
        }

        @Override
        public void onError(RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    static int[] prompt(String text) {
        return model.tokenizer().encode(text, true, false);
    }

    @Test
    void concurrentSequencesShouldEachGetTheTokensTheyWouldGetAlone() throws Exception {
        String[] prompts = new String[16];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = i % 2 == 0 ? "Once upon a time " + "there was ".repeat(i / 2) : "The little dog " + i;
        }
        List<GenerationResult> alone = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            alone.add(Generator.generate(model, prompt(prompts[i]), SamplingParams.greedy(),
                    new GenerationLimits(24 + i, 512), List.of(), t -> true));
        }
        try (BatchScheduler scheduler = new BatchScheduler(model, 8, 16)) {
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                Collector c = new Collector();
                collectors.add(c);
                scheduler.submit(new SequenceRequest(prompt(prompts[i]), SamplingParams.greedy(),
                        new GenerationLimits(24 + i, 512), List.of()), c);
            }
            for (int i = 0; i < prompts.length; i++) {
                GenerationResult r = collectors.get(i).done.get(60, TimeUnit.SECONDS);
                assertEquals(java.util.Arrays.toString(alone.get(i).ids()), java.util.Arrays.toString(r.ids()),
                        "sequence " + i);
                assertEquals(alone.get(i).text(), collectors.get(i).text.toString());
                assertEquals(alone.get(i).stopReason(), r.stopReason());
                assertEquals(1, collectors.get(i).starts.get());
            }
        }
    }

    @Test
    void aCancelledSequenceShouldLeaveTheBatchAndOthersFinish() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, 4, 8)) {
            Collector cancelled = new Collector();
            Collector other = new Collector();
            SequenceHandle h = scheduler.submit(new SequenceRequest(prompt("Once"), SamplingParams.greedy(),
                    new GenerationLimits(400, 512), List.of()), cancelled);
            scheduler.submit(new SequenceRequest(prompt("Lily"), SamplingParams.greedy(),
                    new GenerationLimits(40, 512), List.of()), other);
            assertTrue(cancelled.firstText.await(30, TimeUnit.SECONDS));
            h.cancel();
            GenerationResult r = cancelled.done.get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertTrue(r.generatedTokens() < 400);
            assertEquals(40, other.done.get(30, TimeUnit.SECONDS).generatedTokens());
        }
    }

    @Test
    void aFullQueueAndAnOverlongPromptShouldBeRefusedAtOnce() {
        try (BatchScheduler scheduler = new BatchScheduler(model, 1, 1)) {
            int[] tooLong = new int[600];
            java.util.Arrays.fill(tooLong, 300);
            var e = assertThrows(IllegalArgumentException.class, () -> scheduler.submit(
                    new SequenceRequest(tooLong, SamplingParams.greedy(), new GenerationLimits(5, 512), List.of()),
                    new Collector()));
            assertTrue(e.getMessage().contains("600 tokens"), e.getMessage());
            // one running, one waiting; the third has no room
            List<Collector> cs = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 6; i++) {
                Collector c = new Collector();
                try {
                    scheduler.submit(new SequenceRequest(prompt("Once"), SamplingParams.greedy(),
                            new GenerationLimits(200, 512), List.of()), c);
                    cs.add(c);
                } catch (QueueFullException full) {
                    refused++;
                }
            }
            assertTrue(refused >= 4, "refused " + refused);
        }
    }

    /**
     * A sequence continued elsewhere from the tokens it already produced (prompt + those ids, {@code resumed}
     * = their count) emits exactly the rest of the text the uninterrupted run emits, for every split point —
     * including after a token whose successor starts with a space (which a fresh decoder would drop), and with a
     * stop string that straddles the split.
     */
    @Test
    void aResumedSequenceShouldEmitTheRestOfTheUninterruptedText() throws Exception {
        int[] prompt = prompt("Once upon a time");
        int tokens = 40;
        List<String> stops = List.of("park. One");
        GenerationResult whole = Generator.generate(model, prompt, SamplingParams.greedy(),
                new GenerationLimits(tokens, 512), stops, t -> true);
        assertTrue(whole.text().contains(" "), whole.text());
        try (BatchScheduler scheduler = new BatchScheduler(model, 4, 64)) {
            for (int k = 1; k < whole.ids().length - 1; k++) {
                // the first run, cut after k tokens: the text it had emitted by then
                Collector first = new Collector();
                scheduler.submit(new SequenceRequest(prompt, SamplingParams.greedy(), new GenerationLimits(k, 512),
                        stops), first);
                GenerationResult cut = first.done.get(60, TimeUnit.SECONDS);
                assertArrayEquals(java.util.Arrays.copyOf(whole.ids(), k), cut.ids());
                int[] continued = java.util.Arrays.copyOf(prompt, prompt.length + k);
                System.arraycopy(whole.ids(), 0, continued, prompt.length, k);
                Collector rest = new Collector();
                scheduler.submit(new SequenceRequest(continued, SamplingParams.greedy(),
                        new GenerationLimits(tokens - k, 512), stops, k), rest);
                rest.done.get(60, TimeUnit.SECONDS);
                String emittedBeforeCut = streamedText(prompt, java.util.Arrays.copyOf(whole.ids(), k), stops);
                assertEquals(whole.text(), emittedBeforeCut + rest.text, "split after " + k + " tokens");
            }
        }
    }

    /**
     * A sampled (temperature > 0) sequence continued elsewhere with the same seed goes on with the tokens the
     * uninterrupted run drew: the continuation skips the random draws the already-sent tokens took.
     */
    @Test
    void aResumedSampledSequenceShouldContinueTheSameRandomStream() throws Exception {
        int[] prompt = prompt("Once upon a time");
        int tokens = 30;
        SamplingParams sampled = SamplingParams.defaults().withTemperature(1.0).withSeed(424242);
        GenerationResult whole = Generator.generate(model, prompt, sampled, new GenerationLimits(tokens, 512),
                List.of(), t -> true);
        assertEquals(tokens, whole.ids().length);
        try (BatchScheduler scheduler = new BatchScheduler(model, 4, 64)) {
            for (int k : new int[] {3, 11, 20}) {
                int[] continued = java.util.Arrays.copyOf(prompt, prompt.length + k);
                System.arraycopy(whole.ids(), 0, continued, prompt.length, k);
                Collector rest = new Collector();
                scheduler.submit(new SequenceRequest(continued, sampled, new GenerationLimits(tokens - k, 512),
                        List.of(), k), rest);
                GenerationResult r = rest.done.get(60, TimeUnit.SECONDS);
                assertArrayEquals(java.util.Arrays.copyOfRange(whole.ids(), k, tokens), r.ids(), "resumed at " + k);
            }
            // without the skip the continuation would draw the first random numbers again: a different stream
            Collector fresh = new Collector();
            int[] continued = java.util.Arrays.copyOf(prompt, prompt.length + 11);
            System.arraycopy(whole.ids(), 0, continued, prompt.length, 11);
            scheduler.submit(new SequenceRequest(continued, sampled, new GenerationLimits(tokens - 11, 512),
                    List.of(), 0), fresh);
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(whole.ids(), 11, tokens),
                    fresh.done.get(60, TimeUnit.SECONDS).ids()), "a fresh stream should differ somewhere");
        }
    }

    /** The text a stream had sent after {@code ids}: decoded and stop-matched, without the end-of-stream flush. */
    private static String streamedText(int[] prompt, int[] ids, List<String> stops) {
        var decoder = model.tokenizer().newStreamDecoder();
        var stopper = new dev.shoal.tensor.sample.StopStrings(stops);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            switch (stopper.accept(decoder.feed(id))) {
                case dev.shoal.tensor.sample.StopStrings.Emit e -> out.append(e.text());
                case dev.shoal.tensor.sample.StopStrings.Stopped st -> out.append(st.text());
            }
        }
        return out.toString();
    }
}
