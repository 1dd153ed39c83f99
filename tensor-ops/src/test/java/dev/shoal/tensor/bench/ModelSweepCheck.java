package dev.shoal.tensor.bench;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The decode step's mat-vecs alone, on a real GGUF file as the model maps it: every 2-D tensor of the file in file
 * order, each multiplied once by one input in its kernel's activation type ({@link Matrix#multiplyBatch} with
 * n = 1, one thread), 30
 * passes; prints GB/s of weight bytes every fifth pass and the best. Unlike {@link MatVecBandwidthCheck} (synthetic
 * rows in anonymous memory) it has the model's own shapes and its file-backed pages, and its figures track the
 * model's decode: in session 16 a kernel change that doubled the memory streams in flight moved a 300 MiB synthetic matrix from
 * 4.8-5.9 to 8.0-8.7 GB/s but this sweep only from 6.3-7.3 to 6.3-7.8, as the model's decode did. Args: the GGUF
 * path, and {@code --interleaved} to repack the matrices that can be first ({@link Matrix#interleave}). Not a test: run pinned to one core with the test classpath and {@code --add-modules=jdk.incubator.vector},
 * in a JVM of its own (docs/BENCHMARKS.md has the command).
 */
public final class ModelSweepCheck {

    private static final int PASSES = 30;

    private ModelSweepCheck() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || args.length == 2 && !args[1].equals("--interleaved")) {
            throw new IllegalArgumentException("usage: ModelSweepCheck FILE.gguf [--interleaved]");
        }
        GgufFile f = GgufFile.open(Path.of(args[0]));
        final boolean interleave = args.length == 2;
        final java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        List<Matrix> ms = new ArrayList<>();
        for (TensorInfo t : f.tensors()) {
            if (t.rank() == 2) {
                ms.add(interleave ? Matrix.of(f, t.name()).interleave(arena) : Matrix.of(f, t.name()));
            }
        }
        if (ms.isEmpty()) {
            throw new IllegalArgumentException(args[0] + " has no 2-D tensors");
        }
        final long bytes = ms.stream().mapToLong(Matrix::byteSize).sum();
        final int maxCols = ms.stream().mapToInt(Matrix::cols).max().orElseThrow();
        final int maxRows = ms.stream().mapToInt(Matrix::rows).max().orElseThrow();
        // one set of activations per type in the file (a real checkpoint mixes, e.g., Q4_K and Q6_K)
        Map<ActivationType, QuantizedActivations> acts = new EnumMap<>(ActivationType.class);
        for (Matrix m : ms) {
            acts.computeIfAbsent(m.kernel().activationType(), t -> new QuantizedActivations(t, 1, maxCols));
        }
        float[] x = new float[maxCols];
        Random rnd = new Random(1);
        for (int i = 0; i < maxCols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[maxRows];
        double best = 0;
        float sink = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            long t0 = System.nanoTime();
            for (Matrix m : ms) {
                QuantizedActivations a = acts.get(m.kernel().activationType());
                a.quantize(x, maxCols, 1, m.cols());
                m.multiplyBatch(a, out, maxRows, 1, 0, m.rows());
            }
            long dt = System.nanoTime() - t0;
            sink += out[0];
            best = Math.max(best, bytes / (double) dt);
            if (pass % 5 == 4) {
                System.out.printf("pass %d: %.2f GB/s (%.1f ms)%n", pass + 1, bytes / (double) dt, dt / 1e6);
            }
        }
        System.out.printf("%d matrices, %.0f MB: best %.2f GB/s (checksum %s)%n", ms.size(), bytes / 1e6, best,
                Float.isFinite(sink) ? "finite" : "not finite");
    }
}
