package dev.shoal.tensor.bench;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.ActivationMode;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One single-sequence decode step, {@code SliceModel.forward(token, pos, cache, true)}, on a synthetic model
 * written at setup. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the heap bytes one generated token
 * allocates (the target is 0). Positions cycle through a short context so every step does the same work.
 * {@link #harnessBaseline} burns CPU for about as long as a step and allocates nothing: at ~100 operations per
 * iteration, the bytes JMH's own threads allocate per iteration show up as tens of bytes per operation, and the
 * baseline measures that floor.
 * See docs/BENCHMARKS.md for the command line.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:-UseProfiledLoopPredicate"})
public class DecodeStepBenchmark {

    private static final int CONTEXT = 128;

    @Param({"llama-100m"})
    public String shape;

    @Param({"Q8_0"})
    public String type;

    @Param({"1"})
    public int threads;

    @Param({"QUANTIZED"})
    public String activations;

    private Path dir;
    private GgufFile file;
    private WorkerPool pool;
    private SliceModel model;
    private KvCache cache;
    private int token;
    private int pos;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("shoal-jmh");
        Path p = dir.resolve(shape + "-" + type + ".gguf");
        new SyntheticModelWriter(SyntheticShape.named(shape), GgmlType.valueOf(type), 1234, 0.02f, null).write(p);
        file = GgufFile.open(p);
        ModelConfig c = ModelConfig.fromGguf(file);
        pool = new WorkerPool(threads);
        model = SliceModel.whole(SliceWeights.load(file, c, Slice.whole(c)), pool, CONTEXT, 1,
                ActivationMode.valueOf(activations));
        cache = model.newCache(CONTEXT);
        token = 1;
    }

    @Benchmark
    public float decodeStep() {
        float[] logits = model.forward(token, pos, cache, true);
        pos = (pos + 1) % CONTEXT;
        token = (token * 31 + 7) % 1000 + 1;
        return logits[token];
    }

    /** Control: no allocation, about a decode step's duration (tune with -p baselineTokens). */
    @Benchmark
    public void harnessBaseline() {
        Blackhole.consumeCPU(baselineTokens);
    }

    @Param({"5000000"})
    public long baselineTokens;

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        pool.close();
        file.close();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
