package dev.shoal.transport.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.generate.BatchScheduler;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.generate.SequenceRequest;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StepModel;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.tensor.tokenizer.Tokenizer;
import dev.shoal.transport.TransportSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@link BatchScheduler} over a {@link DistributedStepModel} — stories260K spread over positions that each have
 * their own media driver and talk UDP on 127.0.0.1 — must generate exactly the token ids a scheduler over the
 * whole single-node model generates, for every placement shape: tensor ×2, pipeline ×2, hybrid 2×2, and stages of
 * unequal size (2 ranks then 1). The requests come as the scheduler sees them in service: three at once (one
 * prompt longer than a step's rows, {@link LocalModel#rowsFor}, so its prefill takes several chunks), then two one after
 * another, then four at once — nine sequences through four slots, with growing caches, so slots and worker caches
 * are reused.
 */
class DistributedGenerationTest {

    private static final int MAX_BATCH = 4;
    private static final int CONTEXT = 256;
    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(10));

    /** Waves of requests: each wave is submitted at once and finishes before the next. */
    private static final List<List<Wave>> WAVES = List.of(
            List.of(new Wave("Once upon a time, there was a little girl named Lily. She loved to play outside in the "
                            + "park with her mom and her dog. One day, she saw a big red ball under a tree. She ran to "
                            + "the ball and picked it up. It was shiny and round. Lily wanted to show it to her mom, "
                            + "so she ran back to the bench where her mom was sitting. Her mom smiled and said it was "
                            + "a very nice ball. Then the dog came and barked at the ball, and Lily laughed. They "
                            + "played with the ball all day until the sun went down and it was time to go home", 24),
                    new Wave("The dog", 24),
                    new Wave("Tom and his mom went to the park", 24)),
            List.of(new Wave("One day, a big bird", 32)),
            List.of(new Wave("Sue had a red ball", 40)),
            List.of(new Wave("The sun was", 20),
                    new Wave("Once upon a time", 36),
                    new Wave("Ben liked to eat", 28),
                    new Wave("The little cat was sad because her friend had gone away", 24)));

    private record Wave(String prompt, int maxTokens) {
    }

    private static GgufFile file;
    private static Tokenizer tokenizer;
    private static List<int[]> expected;

    @BeforeAll
    static void wholeModelReference() throws Exception {
        file = GgufFile.open(SharedModels.require("stories260K.gguf"));
        tokenizer = Tokenizer.fromGguf(file.metadata());
        final ModelConfig c = ModelConfig.fromGguf(file);
        try (WorkerPool pool = new WorkerPool(1)) {
            // prompt chunks as large as the split model's (the scheduler still runs at most MAX_BATCH sequences)
            final SliceModel whole = SliceModel.whole(SliceWeights.load(file, c, Slice.whole(c)), pool, CONTEXT,
                    LocalModel.rowsFor(MAX_BATCH));
            expected = run(whole);
        }
    }

    @AfterAll
    static void closeFile() {
        if (file != null) {
            file.close();
        }
    }

    /** Every wave's ids, in order, from a scheduler over {@code model}. */
    private static List<int[]> run(final StepModel model) throws Exception {
        final List<int[]> ids = new ArrayList<>();
        try (BatchScheduler scheduler = new BatchScheduler(model, tokenizer, CONTEXT, MAX_BATCH, 16)) {
            for (final List<Wave> wave : WAVES) {
                final List<Requests.Collector> collectors = new ArrayList<>();
                for (final Wave w : wave) {
                    final Requests.Collector collector = new Requests.Collector();
                    final SequenceRequest request = Requests.greedy(tokenizer, w.prompt(), w.maxTokens(), CONTEXT);
                    scheduler.submit(request, collector);
                    collectors.add(collector);
                }
                for (final Requests.Collector collector : collectors) {
                    final GenerationResult r = collector.done.get(60, TimeUnit.SECONDS);
                    ids.add(r.ids());
                }
            }
        }
        return ids;
    }

    @ParameterizedTest(name = "stages {0}")
    @ValueSource(strings = {"2", "1,1", "2,2", "2,1"})
    void shouldGenerateTheWholeModelsTokens(final String stages) throws Exception {
        final List<Integer> sizes = Arrays.stream(stages.split(",")).map(Integer::valueOf).toList();
        assertTrue(tokenizer.encode(WAVES.getFirst().getFirst().prompt(), true, false).length
                        > LocalModel.rowsFor(MAX_BATCH), "the first prompt must need several prefill chunks");
        try (StepCluster cluster = StepCluster.start(file, sizes, MAX_BATCH, CONTEXT, SETTINGS)) {
            final List<int[]> actual = run(cluster.supervisor);
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < expected.size(); i++) {
                assertTrue(expected.get(i).length > 0);
                assertArrayEquals(expected.get(i), actual.get(i), "sequence " + i + " over stages " + stages);
            }
            // every slot came back, and every position ran every step the supervisor published
            assertEquals(0, cluster.supervisor.slotsInUse());
            final long steps = cluster.supervisor.steps();
            assertTrue(steps > 100, "steps: " + steps);
            for (int position = 1; position < cluster.positions(); position++) {
                final int p = position;
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (cluster.shards[p].steps() < steps && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(steps, cluster.shards[p].steps(), "steps of position " + p);
                assertFalse(cluster.ended.get(p).isDone(), () -> "position " + p + " ended: "
                        + cluster.ended.get(p).join().error());
                assertTrue(cluster.shards[p].isRunning());
            }
        }
    }
}
