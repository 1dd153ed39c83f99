package dev.shoal.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.NodeSettings;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service as the HTTP layer uses it, over real model files: stories260K and a synthetic Q8_0 model. */
class ActorInferenceServiceTest {

    static final ActorTestKit testKit = ActorTestKit.create();

    @TempDir
    static Path models;

    private ActorInferenceService service;

    @BeforeAll
    static void modelsDir() throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 1, 0.02f, null)
                .write(models.resolve("tiny-q8.gguf"));
    }

    @AfterAll
    static void shutdownTestKit() {
        testKit.shutdownTestKit();
    }

    @AfterEach
    void stopService() throws Exception {
        if (service != null) {
            service.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    static NodeSettings settings(String extra) {
        return NodeSettings.fromConfig(ConfigFactory.parseString("""
                shoal.models.dir = "%s"
                shoal.engine { threads = 2, context-length = 512, max-batch = 4, max-queue = 8 }
                shoal.memory.budget = 1 GiB
                %s
                """.formatted(models.toString().replace("\\", "\\\\"), extra)));
    }

    ActorInferenceService start(String extra) {
        service = ActorInferenceService.start(testKit.system(), settings(extra));
        return service;
    }

    static GenerationJob greedy(String model, String text, int maxTokens) {
        return new GenerationJob(model, new Prompt.Text(text, false, null), SamplingParams.greedy(), maxTokens,
                List.of(), null);
    }

    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aModelShouldLoadOnItsFirstRequestAndGenerateWhatTheGeneratorDoes() throws Exception {
        ActorInferenceService s = start("");
        assertEquals(List.of("stories260K", "tiny-q8"), s.models().stream().map(m -> m.name()).toList());
        assertEquals(List.of(), s.loaded());

        Recorder first = new Recorder();
        s.submit(greedy("stories260K:latest", "Once upon a time", 40), first);
        Completion c = first.completion();
        assertEquals(List.of(), first.violations());

        GenerationResult expected;
        try (LocalModel lm = LocalModel.open(models.resolve("stories260K.gguf"), 1, 512)) {
            int[] ids = lm.tokenizer().encode("Once upon a time", true, false);
            expected = Generator.generate(lm, ids, SamplingParams.greedy(), new GenerationLimits(40, lm.context()),
                    List.of(), t -> true);
        }
        assertEquals(expected.text(), first.text());
        assertEquals(expected.promptTokens(), first.promptTokens());
        assertEquals(expected.promptTokens(), c.promptTokens());
        assertEquals(expected.generatedTokens(), c.completionTokens());
        assertEquals(expected.stopReason(), c.stopReason());
        assertTrue(c.loadNanos() > 0, "the first request waited for the load");
        assertTrue(c.totalNanos() >= c.loadNanos() + c.promptNanos() + c.generationNanos());

        List<LoadedModel> loaded = s.loaded();
        assertEquals(1, loaded.size());
        LoadedModel l = loaded.get(0);
        assertEquals("stories260K", l.model().name());
        assertEquals(l.model().sizeBytes() + 2L * 5 * 4 * 8 * 512 * 4 * 4, l.residentBytes());
        Instant expiry = Instant.now().plus(Duration.ofMinutes(5));
        assertTrue(Math.abs(Duration.between(expiry, l.expiresAt()).toSeconds()) < 30, l.expiresAt().toString());

        Recorder second = new Recorder();
        s.submit(greedy("stories260K", "Once upon a time", 40), second);
        assertEquals(0, second.completion().loadNanos(), "already loaded");
        assertEquals(expected.text(), second.text());
    }

    @Test
    void chatMessagesShouldGoThroughTheTemplate() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        s.submit(new GenerationJob("tiny-q8", new Prompt.Chat(List.of(ChatMessage.system("Be brief."),
                ChatMessage.user("Hello"))), SamplingParams.defaults().withSeed(7), 8, List.of(), null), r);
        Completion c = r.completion();
        assertEquals(List.of(), r.violations());
        assertTrue(c.promptTokens() > 5, "system and user turns rendered: " + c.promptTokens());
        assertTrue(c.completionTokens() >= 1 && c.completionTokens() <= 8);
    }

    @Test
    void anUnknownModelShouldFailWithoutStarting() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        s.submit(greedy("llama9:70b", "hi", 4), r);
        assertEquals(new ServiceError.ModelNotFound("llama9:70b"), r.error());
        assertEquals(-1, r.promptTokens());
        assertEquals(List.of(), s.loaded());
    }

    @Test
    void badParametersAndOverlongPromptsShouldBeRefusedBeforeStarting() throws Exception {
        ActorInferenceService s = start("shoal.engine.context-length = 32");
        Recorder negative = new Recorder();
        s.submit(greedy("stories260K", "hi", -1), negative);
        ServiceError e = negative.error();
        assertEquals("max_tokens", assertInstanceOf(ServiceError.InvalidRequest.class, e).param());

        Recorder tooLong = new Recorder();
        s.submit(greedy("stories260K", "Once upon a time ".repeat(20), 4), tooLong);
        ServiceError.ContextOverflow overflow = assertInstanceOf(ServiceError.ContextOverflow.class, tooLong.error());
        assertEquals(32, overflow.contextLength());
        assertTrue(overflow.promptTokens() > 32, overflow.toString());
        assertEquals(-1, tooLong.promptTokens());
    }

    @Test
    void aModelThatDoesNotFitNextToABusyOneShouldBeRefusedWithBothNumbersThenEvictTheIdleOne() throws Exception {
        ModelFile stories = ModelCatalog.scan(models).lookupFile("stories260K").orElseThrow();
        ModelFile tiny = ModelCatalog.scan(models).lookupFile("tiny-q8").orElseThrow();
        long storiesBytes = stories.residentBytes(64, 2);
        long tinyBytes = tiny.residentBytes(64, 2);
        long budget = storiesBytes + tinyBytes - 1;
        ActorInferenceService s = start("shoal.engine { context-length = 64, max-batch = 2 }\n"
                + "shoal.memory.budget = " + budget);

        CountDownLatch gate = new CountDownLatch(1);
        Recorder busy = Recorder.gated(gate);
        GenerationHandle busyHandle = s.submit(greedy("stories260K", "Once", 0), busy);
        try {
            assertTrue(busy.firstText.await(10, TimeUnit.SECONDS));
            Recorder refused = new Recorder();
            s.submit(greedy("tiny-q8", "hi", 4), refused);
            ServiceError.DoesNotFit e = assertInstanceOf(ServiceError.DoesNotFit.class, refused.error());
            assertEquals(new ServiceError.DoesNotFit("tiny-q8", tinyBytes, budget - storiesBytes), e);
            assertEquals(String.format("model 'tiny-q8' needs %.2f GiB but this node has %.2f GiB available",
                    tinyBytes / 1073741824.0, (budget - storiesBytes) / 1073741824.0), e.message());
        } finally {
            busyHandle.cancel();
            gate.countDown();
        }
        assertEquals(StopReason.CANCELLED, busy.completion().stopReason());

        // the registry hears of the end just after the listener; retry until it has
        Recorder loaded = null;
        for (int attempt = 0; attempt < 100 && loaded == null; attempt++) {
            Recorder r = new Recorder();
            s.submit(greedy("tiny-q8", "hi", 4), r);
            if (r.end.get(30, TimeUnit.SECONDS) instanceof Completion) {
                loaded = r;
            } else {
                assertInstanceOf(ServiceError.DoesNotFit.class, r.error());
                Thread.sleep(20);
            }
        }
        assertTrue(loaded != null, "tiny-q8 never loaded");
        assertEquals(List.of("tiny-q8"), s.loaded().stream().map(m -> m.model().name()).toList(),
                "stories260K, idle and least recently used, was unloaded to make room");
    }

    @Test
    void aModelLargerThanTheWholeBudgetShouldNeverLoad() throws Exception {
        ActorInferenceService s = start("shoal.memory.budget = 1 MiB");
        Recorder r = new Recorder();
        s.submit(greedy("stories260K", "hi", 4), r);
        ServiceError.DoesNotFit e = assertInstanceOf(ServiceError.DoesNotFit.class, r.error());
        assertEquals(1L << 20, e.availableBytes());
        assertTrue(e.neededBytes() > Files.size(models.resolve("stories260K.gguf")));
        assertEquals(List.of(), s.loaded());
    }

    @Test
    void anIdleModelShouldUnloadAfterItsKeepAlive() throws Exception {
        ActorInferenceService s = start("shoal.models.keep-alive = 300 ms");
        Recorder r = new Recorder();
        s.submit(greedy("tiny-q8", "hi", 4), r);
        r.completion();
        long done = System.nanoTime();
        eventually("tiny-q8 is unloaded", () -> s.loaded().isEmpty());
        assertTrue(System.nanoTime() - done >= TimeUnit.MILLISECONDS.toNanos(250), "not before its keep-alive");
    }

    @Test
    void aZeroKeepAliveInTheRequestShouldUnloadRightAfterIt() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        s.submit(new GenerationJob("tiny-q8", new Prompt.Text("hi", false, null), SamplingParams.greedy(), 4,
                List.of(), Duration.ZERO), r);
        r.completion();
        eventually("tiny-q8 is unloaded", () -> s.loaded().isEmpty());
        Recorder again = new Recorder();
        s.submit(greedy("tiny-q8", "hi", 4), again);
        assertTrue(again.completion().loadNanos() > 0, "loaded again");
        Thread.sleep(300);
        assertEquals(1, s.loaded().size(), "a request without keep-alive gets the default (5 min) again");
    }

    @Test
    void aRequestAfterStopShouldFailAtOnce() throws Exception {
        ActorInferenceService s = start("");
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Recorder r = new Recorder();
        s.submit(greedy("tiny-q8", "hi", 4), r);
        assertEquals(new ServiceError.Internal("the node is shutting down"), r.end.getNow(null));
    }

    @Test
    void aKeepAliveOfAThousandYearsShouldMeanForever() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        s.submit(new GenerationJob("tiny-q8", new Prompt.Text("hi", false, null), SamplingParams.greedy(), 4,
                List.of(), Duration.ofDays(365L * 1000)), r);
        r.completion();
        eventually("the instance is idle", () -> s.loaded().get(0).activeSequences() == 0);
        assertEquals(InstanceGauge.NEVER, s.loaded().get(0).expiresAt());
        Recorder again = new Recorder();
        s.submit(greedy("tiny-q8", "hi", 4), again);
        assertEquals(0, again.completion().loadNanos(), "the instance is still there");
    }

    @Test
    void aPreloadedModelShouldBeLoadedBeforeAnyRequest() throws Exception {
        ActorInferenceService s = start("shoal.models.preload = [\"tiny:q8\", \"missing\"]");
        eventually("tiny-q8 is loaded", () -> s.loaded().size() == 1);
        assertEquals("tiny-q8", s.loaded().get(0).model().name());
    }

    @Test
    void aFullQueueShouldAnswerOverloaded() throws Exception {
        ActorInferenceService s = start("shoal.engine { max-batch = 1, max-queue = 1 }");
        CountDownLatch gate = new CountDownLatch(1);
        Recorder running = Recorder.gated(gate);
        GenerationHandle h = s.submit(greedy("stories260K", "Once", 0), running);
        Recorder queued = new Recorder();
        try {
            assertTrue(running.firstText.await(10, TimeUnit.SECONDS));
            s.submit(greedy("stories260K", "Once", 4), queued);
            eventually("the second request waits in the queue", () -> s.loaded().get(0).queuedRequests() == 1);
            assertEquals(1, s.loaded().get(0).activeSequences());

            Recorder refused = new Recorder();
            s.submit(greedy("stories260K", "Once", 4), refused);
            ServiceError.Overloaded o = assertInstanceOf(ServiceError.Overloaded.class, refused.error());
            assertTrue(o.retryAfterSeconds() >= 1 && o.retryAfterSeconds() <= 60, o.toString());
            assertEquals(-1, refused.promptTokens());
        } finally {
            h.cancel();
            gate.countDown();
        }
        assertEquals(StopReason.CANCELLED, running.completion().stopReason());
        assertEquals(StopReason.MAX_TOKENS, queued.completion().stopReason(), "the queued one ran after");
    }

    @Test
    void cancellingShouldEndTheGenerationAsCancelled() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        GenerationHandle h = s.submit(greedy("stories260K", "Once", 0), r);
        assertTrue(r.firstText.await(10, TimeUnit.SECONDS));
        h.cancel();
        Completion c = r.completion();
        assertEquals(StopReason.CANCELLED, c.stopReason());
        assertTrue(c.completionTokens() < 500, "stopped early: " + c.completionTokens());
        assertEquals(List.of(), r.violations());
    }

    @Test
    void cancellingBeforeAdmissionShouldCompleteAsCancelledWithoutRunning() throws Exception {
        ActorInferenceService s = start("");
        Recorder r = new Recorder();
        s.submit(greedy("stories260K", "Once", 0), r).cancel();
        Completion c = r.completion();
        assertEquals(StopReason.CANCELLED, c.stopReason());
        assertEquals(0, c.completionTokens());
        assertEquals("", r.text());
    }
}
