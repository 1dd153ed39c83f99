package dev.shoal.node.cli;

import dev.shoal.tensor.generate.Benchmark;
import dev.shoal.tensor.generate.LocalModel;
import java.io.PrintStream;
import java.util.Set;

/** {@code shoal bench}: load time, prompt and decode speed, bytes streamed per token and the share of bandwidth. */
final class BenchCommand {

    static final String USAGE = "shoal bench --model FILE [--threads N] [--prompt-tokens 128] [--gen-tokens 64] "
            + "[--concurrency 1] [--repetitions 1] [--json]";

    private BenchCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = Flags.parse(args, USAGE, Set.of("model", "threads", "prompt-tokens", "gen-tokens", "concurrency",
                "repetitions"),
                Set.of("json"));
        var path = f.existingFile("model");
        int threads = f.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        int promptTokens = f.integer("prompt-tokens", 128, 1, 1 << 20);
        int genTokens = f.integer("gen-tokens", 64, 1, 1 << 20);
        int concurrency = f.integer("concurrency", 1, 1, 256);
        int repetitions = f.integer("repetitions", 1, 1, 100);
        int batch = LocalModel.rowsFor(concurrency);
        try (LocalModel lm = LocalModel.open(path, threads, promptTokens + genTokens + 1, batch)) {
            Benchmark.Result r = Benchmark.run(lm, promptTokens, genTokens, concurrency, threads, repetitions);
            out.printf("model: %s (%s, %d threads)%n", path.getFileName(), lm.config().architecture().ggufName(), threads);
            out.printf("load: %.2f s%n", r.loadSeconds());
            if (r.repackSeconds() > 0) {
                out.printf("repack: %.2f s more, in the background while serving (phases measured after it)%n",
                        r.repackSeconds());
            }
            out.printf("prompt: %d tokens, %.2f tok/s%s%n", r.promptTokens(), r.promptTps(), spread(r.promptRuns()));
            out.printf("generation: %d tokens, %.2f tok/s%s%n", r.genTokens(), r.genTps(), spread(r.genRuns()));
            if (concurrency > 1) {
                out.printf("generation with %d concurrent sequences: %.2f tok/s aggregate (%.2fx one)%n", concurrency,
                        r.aggregateTps(), r.aggregateTps() / r.genTps());
            }
            out.printf("weights streamed per token: %.1f MB, %.2f GB/s = %.0f%% of measured read bandwidth %.2f GB/s%n",
                    r.bytesPerToken() / 1e6, r.gbps(), 100 * r.gbps() / r.bandwidthGbps(), r.bandwidthGbps());
            if (f.flag("json")) {
                out.println(r.toJson());
            }
        }
        return 0;
    }

    /** " (median of N: lowest–highest)" for several repetitions, nothing for one. */
    private static String spread(double[] runs) {
        if (runs.length < 2) {
            return "";
        }
        double[] s = runs.clone();
        java.util.Arrays.sort(s);
        return String.format(java.util.Locale.ROOT, " (median of %d: %.2f–%.2f)", s.length, s[0], s[s.length - 1]);
    }
}
