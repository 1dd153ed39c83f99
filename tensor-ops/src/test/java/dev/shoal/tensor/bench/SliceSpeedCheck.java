package dev.shoal.tensor.bench;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.Collective;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StageLink;
import dev.shoal.tensor.model.WorkerPool;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * Decode time per token of tensor-parallel ranks' slices without the cluster: each rank computed alone (its
 * all-reduces and gather do nothing), against the whole model on the same thread — what a rank's compute costs
 * before any communication, the ceiling of tensor ×N. Not a test:
 * {@code SliceSpeedCheck MODEL [ranks=2] [tokens=48]}, pinned to one core. System properties:
 * {@code -Drank=R} only that rank (run two processes on two cores at once to see the ranks share memory
 * bandwidth), {@code -DranksOnly=true} skip the whole model (C2 compiles the kernels for the shapes it meets
 * first: the whole model after the slices ran twice as slow), {@code -Dpasses=N}, and {@code -Dgroup=true}: all
 * ranks at once, one thread each, exchanging through an {@link dev.shoal.tensor.model.InProcessGroup} (give the
 * JVM as many cores) — the cluster's step without Aeron, Pekko or a second JVM; {@code -Dtrace=FILE} with
 * {@code -Drank=R}: the rank's exchange times of its last pass to {@code FILE.rankR}, for {@link SegmentTraceCheck}.
 * docs/BENCHMARKS.md has figures.
 */
public final class SliceSpeedCheck {

    private SliceSpeedCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        int ranks = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 48;
        try (GgufFile file = GgufFile.open(path); WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            ModelConfig c = ModelConfig.fromGguf(file);
            Slice whole = Slice.whole(c);
            // the planner's split: FFN columns on 256-element edges, which every block layout divides
            Slice[] parts = new Slice[ranks];
            int[] vs = new int[ranks];
            int[] ve = new int[ranks];
            for (int r = 0; r < ranks; r++) {
                parts[r] = whole.tensorPart(r, ranks, 256);
                vs[r] = parts[r].vocabStart();
                ve[r] = parts[r].vocabEnd();
            }
            if (Boolean.getBoolean("group")) {
                group(file, c, parts, vs, ve, tokens, arena);
                return;
            }
            for (int pass = 0; pass < Integer.getInteger("passes", 2); pass++) {
                if (!Boolean.getBoolean("ranksOnly")) {
                    run("whole", SliceModel.whole(SliceWeights.load(file, c, whole), pool, tokens + 1), tokens);
                }
                for (int r = 0; r < ranks; r++) {
                    if (Integer.getInteger("rank", r) != r) {
                        continue;
                    }
                    SliceWeights w = SliceWeights.load(file, c, parts[r]);
                    ExchangeTimes times = new ExchangeTimes(c.layers(), tokens);
                    SliceModel m = new SliceModel(Boolean.parseBoolean(System.getProperty("compact", "true"))
                            ? w.compact(arena) : w, new Silent(r, ranks, times),
                            StageLink.NONE, pool, tokens + 1, 1, vs, ve);
                    run("rank " + r + "/" + ranks, m, tokens);
                    if (System.getProperty("trace") != null) {
                        times.write(System.getProperty("trace"), r);
                    }
                }
            }
        }
    }

    /** Every rank on a thread of its own (one pool each), exchanging through an in-process group. */
    private static void group(GgufFile file, ModelConfig c, Slice[] parts, int[] vs, int[] ve, int tokens,
                              Arena arena) throws Exception {
        int ranks = parts.length;
        dev.shoal.tensor.model.InProcessGroup g = new dev.shoal.tensor.model.InProcessGroup(ranks,
                java.time.Duration.ofSeconds(30));
        Thread[] ts = new Thread[ranks];
        for (int r = 0; r < ranks; r++) {
            final int rank = r;
            SliceWeights w = SliceWeights.load(file, c, parts[r]).compact(arena);
            ts[r] = new Thread(() -> {
                try (WorkerPool pool = new WorkerPool(1)) {
                    SliceModel m = new SliceModel(w, g.member(rank), StageLink.NONE, pool, tokens + 1, 1, vs, ve);
                    for (int pass = 0; pass < 3; pass++) {
                        run("group rank " + rank, m, tokens);
                    }
                }
            });
            ts[r].start();
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    private static void run(String label, SliceModel m, int tokens) {
        KvCache cache = m.newCache(tokens + 1);
        int token = 1;
        long t0 = 0;
        int warm = Math.min(8, tokens / 4);
        for (int p = 0; p < tokens; p++) {
            if (p == warm) {
                t0 = System.nanoTime();
            }
            m.forward(token, p, cache, true);
            token = (token * 31 + 7) % 1000;
        }
        double ms = (System.nanoTime() - t0) / 1e6 / (tokens - warm);
        System.out.printf("%-10s %.1f ms/token (%.2f tok/s)%n", label, ms, 1000 / ms);
    }

    /** A group whose communication does nothing: each rank's compute measured alone; it notes each exchange. */
    private record Silent(int rank, int size, ExchangeTimes times) implements Collective {
        @Override
        public void allReduceSum(float[] data, int offset, int length) {
            times.stamp();
        }

        @Override
        public void gatherToFirst(float[] data, int[] starts, int[] ends) {
            times.stamp();
        }
    }

    /**
     * When a rank reached each exchange of one pass (2L + 1 a token). {@code -Dtrace=FILE} writes them to
     * {@code FILE.rankR}: a {@code # layers L} line, then one nanosecond stamp per line. Two ranks run side by side
     * give each segment's time on both: what a lockstep would wait ({@link SegmentTraceCheck}).
     */
    private static final class ExchangeTimes {
        private final int layers;
        private final long[] stamps;
        private int count;

        ExchangeTimes(int layers, int tokens) {
            this.layers = layers;
            this.stamps = new long[tokens * (2 * layers + 1)];
        }

        void stamp() {
            if (count < stamps.length) { // a model with more exchanges a token than 2L + 1 keeps the first ones
                stamps[count++] = System.nanoTime();
            }
        }

        void write(String file, int rank) throws java.io.IOException {
            StringBuilder b = new StringBuilder("# layers ").append(layers).append('\n');
            for (int i = 0; i < count; i++) {
                b.append(stamps[i]).append('\n');
            }
            java.nio.file.Files.writeString(Path.of(file + ".rank" + rank), b);
        }
    }
}
