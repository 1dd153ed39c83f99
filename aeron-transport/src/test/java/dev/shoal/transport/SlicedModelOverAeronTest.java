package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StageLink;
import dev.shoal.tensor.model.WorkerPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real engine over the real transport: stories260K run as 2 tensor-parallel ranks whose all-reduces and
 * logit gathers go over Aeron (each rank a thread with its own driver over UDP, or a shared driver over IPC), and
 * as 2 pipeline stages linked over Aeron; both must produce the whole model's greedy tokens. Slices and the
 * vocabulary partition are built as in tensor-ops' {@code SlicedRunner}.
 */
class SlicedModelOverAeronTest {

    private static final int STEPS = 40;
    private static final int CONTEXT = STEPS + 8;
    private static final int[] PROMPT = {1, 403, 407, 261, 378};
    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(30));

    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() {
        threads.shutdownNow();
        for (int i = resources.size() - 1; i >= 0; i--) {
            CloseHelper.quietClose(resources.get(i));
        }
    }

    /** One forward step of every part; the logits of the part that produces them. */
    private interface Step {
        float[] forward(int token, int pos) throws Exception;
    }

    private static List<Integer> greedy(final Step step) throws Exception {
        final List<Integer> out = new ArrayList<>();
        int pos = 0;
        float[] logits = null;
        for (final int t : PROMPT) {
            logits = step.forward(t, pos++);
        }
        for (int i = 0; i < STEPS; i++) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            out.add(best);
            if (i + 1 < STEPS) {
                logits = step.forward(best, pos++);
            }
        }
        return out;
    }

    private List<Integer> wholeModelTokens(final GgufFile f, final ModelConfig c) throws Exception {
        final WorkerPool pool = keep(new WorkerPool(1));
        final SliceModel whole = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, CONTEXT);
        final KvCache cache = whole.newCache(CONTEXT);
        return greedy((t, p) -> whole.forward(t, p, cache, true));
    }

    /** Runs both parts of one step on their own threads; returns part {@code logitsFrom}'s logits. */
    private Step inParallel(final SliceModel[] parts, final KvCache[] caches, final int logitsFrom) {
        return (token, pos) -> {
            final List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < parts.length; i++) {
                final SliceModel m = parts[i];
                final KvCache cache = caches[i];
                results.add(threads.submit(() -> m.forward(token, pos, cache, true)));
            }
            float[] logits = null;
            for (int i = 0; i < results.size(); i++) {
                final float[] out = results.get(i).get(60, TimeUnit.SECONDS);
                if (i == logitsFrom) {
                    logits = out;
                }
            }
            return logits;
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"udp", "ipc"})
    void twoTensorRanksOverAeronShouldGiveTheWholeModelsGreedyTokens(final String transport) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            final ModelConfig c = ModelConfig.fromGguf(f);
            final List<Integer> expected = wholeModelTokens(f, c);

            final Mesh mesh = keep(Mesh.of(transport, 2, SETTINGS));
            final int block = f.tensor("blk.0.ffn_down.weight").type().blockSize();
            final Slice[] slices = new Slice[2];
            final int[] starts = new int[2];
            final int[] ends = new int[2];
            for (int r = 0; r < 2; r++) {
                slices[r] = Slice.whole(c).tensorPart(r, 2, block);
                starts[r] = slices[r].vocabStart();
                ends[r] = slices[r].vocabEnd();
            }
            assertNotEquals(c.kvHeads(), slices[0].kvHeadEnd(), "rank 0 must hold only part of the heads");
            final SliceModel[] ranks = new SliceModel[2];
            final KvCache[] caches = new KvCache[2];
            for (int r = 0; r < 2; r++) {
                ranks[r] = new SliceModel(SliceWeights.load(f, c, slices[r]), mesh.ranks[r], StageLink.NONE,
                        keep(new WorkerPool(1)), CONTEXT, starts, ends);
                caches[r] = ranks[r].newCache(CONTEXT);
            }
            assertEquals(expected, greedy(inParallel(ranks, caches, 0)));
            // two all-reduces per layer plus one gather per step, all over Aeron
            final long calls = (long) (PROMPT.length + STEPS - 1) * (2L * c.layers() + 1);
            assertEquals(calls, mesh.ranks[0].sequence());
            assertEquals(calls, mesh.ranks[1].sequence());
        }
    }

    @Test
    void twoPipelineStagesOverAeronShouldGiveTheWholeModelsGreedyTokens() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            final ModelConfig c = ModelConfig.fromGguf(f);
            final List<Integer> expected = wholeModelTokens(f, c);

            final EmbeddedDriver first = keep(EmbeddedDriver.launch());
            final EmbeddedDriver second = keep(EmbeddedDriver.launch());
            final int port = TestPorts.freeUdpPorts(1)[0];
            final Endpoint secondListens = new Endpoint.Udp("127.0.0.1", port, 4004);
            final AeronStageLink out = keep(new AeronStageLink(first.aeron(), null, secondListens, SETTINGS));
            final AeronStageLink in = keep(new AeronStageLink(second.aeron(), secondListens, null, SETTINGS));
            final int split = c.layers() / 2;
            final SliceModel[] stages = {
                new SliceModel(SliceWeights.load(f, c, Slice.whole(c).withLayers(0, split)),
                        dev.shoal.tensor.model.Collective.single(), out, keep(new WorkerPool(1)), CONTEXT, null, null),
                new SliceModel(SliceWeights.load(f, c, Slice.whole(c).withLayers(split, c.layers())),
                        dev.shoal.tensor.model.Collective.single(), in, keep(new WorkerPool(1)), CONTEXT, null, null),
            };
            final KvCache[] caches = {stages[0].newCache(CONTEXT), stages[1].newCache(CONTEXT)};
            assertEquals(expected, greedy(inParallel(stages, caches, 1)));
            assertEquals(PROMPT.length + STEPS - 1, in.received());
        }
    }

    private <T extends AutoCloseable> T keep(final T resource) {
        resources.add(resource);
        return resource;
    }
}
