package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernels;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Zero allocation per generated token: after warm-up (so C2 has compiled the kernels and scalar-replaced their
 * vectors), 50 single-sequence decode steps {@code SliceModel.forward(token, pos, cache, true)} allocate no heap
 * bytes on the calling thread nor on any worker thread, as {@code com.sun.management.ThreadMXBean} counts them.
 * This can fail: a capturing lambda, a boxed vector or a fresh array in the step would show up here.
 */
class DecodeAllocationTest {

    @TempDir
    static Path dir;

    private static final int WARM_UP_STEPS = 3000;
    private static final int MEASURED_STEPS = 50;
    private static final int SETTLE_ROUNDS = 100;
    private static final int SETTLE_STEPS = 200;
    private static final int CONTEXT = 64;

    /** Shape, type, threads, activations. */
    static final String[] CASES = {"tiny, Q8_0, 1, QUANTIZED", "tiny, Q4_0, 2, QUANTIZED", "tiny, Q4_K, 1, QUANTIZED",
        "tiny, Q6_K, 2, QUANTIZED", "tiny, F16, 1, QUANTIZED", "tiny, Q8_0, 2, F32"};

    static Stream<Arguments> cases() {
        return Stream.of(CASES).map(c -> c.split(", ")).map(f -> Arguments.of(f[0], GgmlType.valueOf(f[1]),
                Integer.parseInt(f[2]), ActivationMode.valueOf(f[3])));
    }

    @ParameterizedTest(name = "{0} {1}, {2} thread(s), {3} activations")
    @MethodSource("cases")
    void decodeStepsShouldAllocateNothing(String shape, GgmlType type, int threads, ActivationMode mode) throws Exception {
        Path file = dir.resolve(shape + "-" + type + ".gguf");
        if (!file.toFile().exists()) {
            new SyntheticModelWriter(SyntheticShape.named(shape), type, 11, 0.05f, null).write(file);
        }
        assertEquals(0, allocatedBytes(file, threads, mode), type + ": bytes allocated by " + MEASURED_STEPS + " decode steps");
    }

    /** The same cases at the vector widths other than this JVM's, each in a child JVM forced to it. */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {128, 256, 512})
    void decodeStepsShouldAllocateNothingAtOtherVectorWidths(int bits) throws Exception {
        int own = QuantKernels.floatSpecies().vectorBitSize();
        assumeTrue(bits != own, "this JVM's own width is what the other tests run at");
        assumeTrue(bits <= FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                "wider than the CPU's vectors runs unaccelerated: not a measure of anything");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:-UseProfiledLoopPredicate", "-Dshoal.quant.vectorBits=" + bits,
                "-cp", System.getProperty("java.class.path"), DecodeAllocationWidthCheck.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "child JVM did not finish");
        assertEquals(0, p.exitValue(), text);
        long lines = text.lines().filter(l -> l.contains(" bytes=")).count();
        assertEquals(CASES.length, lines, text);
        assertTrue(text.lines().filter(l -> l.contains(" bytes=")).allMatch(l -> l.endsWith(" bytes=0")),
                "bytes allocated by " + MEASURED_STEPS + " decode steps at " + bits + " bits:\n" + text);
    }

    @Test
    void stories260KDecodeStepsShouldAllocateNothing() throws Exception {
        assertEquals(0, allocatedBytes(SharedModels.require("stories260K.gguf"), 2, ActivationMode.QUANTIZED));
    }

    /** Heap bytes allocated by the caller and the pool's workers over the measured steps. */
    static long allocatedBytes(Path file, int threads, ActivationMode mode) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(threads);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            ModelConfig c = ModelConfig.fromGguf(f);
            // loaded as LocalModel loads: Q4_0 repacked on 256-bit vectors
            SliceModel m = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)).interleaved(arena, threads), pool,
                    CONTEXT, 1, mode);
            KvCache cache = m.newCache(CONTEXT);
            long[] workers = pool.workerThreadIds();
            int token = 1;
            for (int step = 0; step < WARM_UP_STEPS; step++) {
                token = next(m.forward(token, step % CONTEXT, cache, true), c.vocabSize());
            }
            // Steady state means the JIT is done: on two cores C2's compiles can still be queued or running after
            // the fixed warm-up (seen: kernels and SliceModel.forward compiled during the measured steps),
            // and until they land the C1 code boxes every vector. More steps until the compile queues are empty
            // and no compile runs; the measured steps are the same.
            for (int round = 0; round < SETTLE_ROUNDS && !jitIdle(); round++) {
                Thread.sleep(20);
                for (int step = 0; step < SETTLE_STEPS; step++) {
                    token = next(m.forward(token, step % CONTEXT, cache, true), c.vocabSize());
                }
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            long workersBefore = 0;
            for (long id : workers) {
                workersBefore += mx.getThreadAllocatedBytes(id);
            }
            for (int step = 0; step < MEASURED_STEPS; step++) {
                token = next(m.forward(token, step % CONTEXT, cache, true), c.vocabSize());
            }
            long caller = mx.getCurrentThreadAllocatedBytes() - before;
            long workersAfter = 0;
            for (long id : workers) {
                workersAfter += mx.getThreadAllocatedBytes(id);
            }
            return caller + (workersAfter - workersBefore);
        }
    }

    /** Whether no method is being compiled or waits to be (the {@code Compiler.queue} diagnostic command). */
    private static boolean jitIdle() throws Exception {
        String queue = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue",
                new Object[] {null}, new String[] {String[].class.getName()});
        return !queue.contains("CompilerThread") && queue.split("\\bEmpty\\b", -1).length - 1 == 2;
    }

    /** Greedy next token, kept in range (any id works for an allocation check). */
    private static int next(float[] logits, int vocab) {
        return Math.floorMod(Greedy.argmax(logits), vocab);
    }
}
