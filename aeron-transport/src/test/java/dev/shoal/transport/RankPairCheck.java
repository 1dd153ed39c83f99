package dev.shoal.transport;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.StageLink;
import dev.shoal.tensor.model.WorkerPool;
import io.aeron.Aeron;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Benchmark (a main, not a test): one tensor rank of two in this process, exchanging with the other rank's process
 * through an {@link AeronCollective} over {@code aeron:ipc} on a shared media driver — the cluster's step without
 * Pekko, HTTP or the step feed. Start a driver ({@code bin/shoal driver --dir D --idle sleeping}), then two of these
 * on cores 0 and 1: {@code RankPairCheck MODEL RANK D [tokens=64] [passes=3]} ({@code bin/lockstep-bench} does). Both ranks feed the same fixed token
 * sequence, so no token crosses between them; rank 0 prints ms per token. Against {@code SliceSpeedCheck}'s ranks
 * side by side (no exchange) it shows what lockstep over Aeron costs; against {@code bin/cluster-bench} what the
 * node around it costs.
 */
public final class RankPairCheck {

    private RankPairCheck() {
    }

    public static void main(final String[] args) throws Exception {
        final Path path = Path.of(args[0]);
        final int rank = Integer.parseInt(args[1]);
        final String dir = args[2];
        final int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        final int passes = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        final IdleMode idle = IdleMode.valueOf(System.getProperty("idle", "ADAPTIVE"));
        try (GgufFile file = GgufFile.open(path); WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared();
             Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir))) {
            final ModelConfig c = ModelConfig.fromGguf(file);
            final Slice whole = Slice.whole(c);
            final int[] vs = new int[2];
            final int[] ve = new int[2];
            final Slice[] parts = new Slice[2];
            for (int r = 0; r < 2; r++) {
                parts[r] = whole.tensorPart(r, 2, 256);
                vs[r] = parts[r].vocabStart();
                ve[r] = parts[r].vocabEnd();
            }
            final SliceWeights w = SliceWeights.load(file, c, parts[rank]).compact(arena);
            try (AeronCollective group = new AeronCollective(aeron, rank,
                    List.of(new Endpoint.Ipc(40), new Endpoint.Ipc(41)),
                    new TransportSettings(Duration.ofSeconds(60), idle))) {
                group.awaitConnected(Duration.ofSeconds(60));
                final SliceModel m = new SliceModel(w, group, StageLink.NONE, pool, tokens + 1, 1, vs, ve);
                for (int pass = 0; pass < passes; pass++) {
                    final KvCache cache = m.newCache(tokens + 1);
                    int token = 1;
                    long t0 = 0;
                    final int warm = Math.min(8, tokens / 4);
                    for (int p = 0; p < tokens; p++) {
                        if (p == warm) {
                            t0 = System.nanoTime();
                        }
                        m.forward(token, p, cache, true);
                        token = (token * 31 + 7) % 1000;
                    }
                    final double ms = (System.nanoTime() - t0) / 1e6 / (tokens - warm);
                    System.out.printf("rank %d pass %d: %.1f ms/token (%.2f tok/s)%n", rank, pass, ms, 1000 / ms);
                }
            }
        }
    }
}
