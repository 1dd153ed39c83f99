package dev.shoal.tensor.model;

import dev.shoal.tensor.gguf.GgufFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Test driver: one model as {@code stages} pipeline stages of {@code ranks} tensor-parallel ranks each, all threads
 * of this JVM. Rank r of stage i hands its residual stream to rank r of stage i + 1; logits come from rank 0 of
 * the last stage.
 */
final class SlicedRunner implements AutoCloseable {

    private final SliceModel[][] models; // [stage][rank]
    private final KvCache[][] caches;
    private final ExecutorService exec;
    private final WorkerPool pool = new WorkerPool(1);

    SlicedRunner(GgufFile file, int stages, int ranks, int context) {
        this(file, stages, ranks, context, false);
    }

    /**
     * @param evenRows the tensor groups share output rows by {@link Collective}'s even split instead of the
     *                 in-process group's run-time one
     */
    SlicedRunner(GgufFile file, int stages, int ranks, int context, boolean evenRows) {
        ModelConfig c = ModelConfig.fromGguf(file);
        Slice whole = Slice.whole(c);
        int block = file.tensor("blk.0.ffn_down.weight").type().blockSize();
        models = new SliceModel[stages][ranks];
        caches = new KvCache[stages][ranks];
        InProcessPipe[][] pipes = new InProcessPipe[stages][ranks];
        for (int st = 0; st < stages; st++) {
            for (int r = 0; r < ranks; r++) {
                pipes[st][r] = new InProcessPipe(Duration.ofSeconds(30));
            }
        }
        for (int st = 0; st < stages; st++) {
            int l0 = c.layers() * st / stages;
            int l1 = c.layers() * (st + 1) / stages;
            InProcessGroup group = new InProcessGroup(ranks, Duration.ofSeconds(30));
            Slice[] parts = new Slice[ranks];
            int[] starts = new int[ranks];
            int[] ends = new int[ranks];
            for (int r = 0; r < ranks; r++) {
                parts[r] = whole.withLayers(l0, l1).tensorPart(r, ranks, block);
                starts[r] = parts[r].vocabStart();
                ends[r] = parts[r].vocabEnd();
            }
            for (int r = 0; r < ranks; r++) {
                StageLink link = stages == 1 ? StageLink.NONE
                        : InProcessPipe.link(st == 0 ? null : pipes[st - 1][r], st == stages - 1 ? null : pipes[st][r]);
                Collective member = evenRows ? evenRows(group.member(r)) : group.member(r);
                models[st][r] = new SliceModel(SliceWeights.load(file, c, parts[r]), member, link, pool,
                        context, starts, ends);
                caches[st][r] = models[st][r].newCache(context);
            }
        }
        exec = Executors.newFixedThreadPool(stages * ranks);
    }

    /** {@code member} with the interface's even split of shared rows. */
    private static Collective evenRows(Collective member) {
        return new Collective() {
            @Override
            public int rank() {
                return member.rank();
            }

            @Override
            public int size() {
                return member.size();
            }

            @Override
            public void allReduceSum(float[] data, int offset, int length) {
                member.allReduceSum(data, offset, length);
            }

            @Override
            public void gatherToFirst(float[] data, int[] starts, int[] ends) {
                member.gatherToFirst(data, starts, ends);
            }
        };
    }

    SliceModel model(int stage, int rank) {
        return models[stage][rank];
    }

    Slice slice(int stage, int rank) {
        return models[stage][rank].slice();
    }

    /** One step through every stage and rank; the logits of the last stage's rank 0. */
    float[] forward(int token, int pos) {
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int st = 0; st < models.length; st++) {
                for (int r = 0; r < models[st].length; r++) {
                    SliceModel m = models[st][r];
                    KvCache cache = caches[st][r];
                    results.add(exec.submit(() -> m.forward(token, pos, cache, true)));
                }
            }
            float[] logits = null;
            for (int i = 0; i < results.size(); i++) {
                float[] out = results.get(i).get(60, TimeUnit.SECONDS);
                if (i == results.size() - models[0].length) {
                    logits = out;
                }
            }
            return logits;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        exec.shutdownNow();
        pool.close();
    }
}
