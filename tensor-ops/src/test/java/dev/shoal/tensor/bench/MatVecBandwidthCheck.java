package dev.shoal.tensor.bench;

import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The decode mat-vec as the model runs it ({@link Matrix#multiplyBatch} with one quantized input, one thread) over
 * about 1 GiB of 8192×2048 matrices of one type, so that the weights stream from DRAM as they do per generated
 * token: prints GB/s of weight bytes per pass. A second argument, a byte budget (e.g. 1000000), shrinks the set to
 * fit in L2, which shows the kernel's arithmetic limit instead. Comparing the two tells whether a kernel is bound
 * by arithmetic or by memory. Not a test: run with the test classpath, {@code --add-modules=jdk.incubator.vector},
 * pinned to one core (docs/BENCHMARKS.md has the command).
 */
public final class MatVecBandwidthCheck {

    private MatVecBandwidthCheck() {
    }

    public static void main(String[] args) {
        GgmlType t = GgmlType.valueOf(args.length > 0 ? args[0] : "Q8_0");
        long budget = args.length > 1 ? Long.parseLong(args[1]) : 1L << 30;
        int cols = 2048;
        QuantKernel k = QuantKernels.forType(t, "w");
        long rowBytes = t.bytesFor(cols);
        int rows = (int) Math.min(8192, budget / rowBytes) / 4 * 4;
        int mats = (int) Math.max(1, budget / (rowBytes * rows));
        int reps = (int) Math.max(1, (1L << 30) / ((long) mats * rows * rowBytes));
        Arena arena = Arena.ofShared();
        Random rnd = new Random(1);
        Matrix[] ms = new Matrix[mats];
        float[] tmp = new float[cols];
        for (int m = 0; m < mats; m++) {
            // 64 distinct quantized gaussian rows, repeated: the kernels' speed does not depend on the values
            MemorySegment seg = arena.allocate(rowBytes * rows, 64);
            for (int r = 0; r < rows; r++) {
                if (r < 64) {
                    for (int i = 0; i < cols; i++) {
                        tmp[i] = (float) rnd.nextGaussian() * 0.02f;
                    }
                    k.quantize(tmp, 0, cols, seg, r * rowBytes);
                } else {
                    MemorySegment.copy(seg, (r % 64) * rowBytes, seg, r * rowBytes, rowBytes);
                }
            }
            ms[m] = new Matrix("w" + m, k, seg, rowBytes, 0, rows, 0, cols);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        QuantizedActivations a = new QuantizedActivations(k.activationType(), 1, cols);
        a.quantize(x, cols, 1, cols);
        float[] out = new float[rows];
        double total = (double) reps * mats * rows * rowBytes;
        System.out.printf("%s: %d matrices of %dx%d (%.0f MiB), %d passes per measurement%n", t, mats, rows, cols,
                mats * rows * rowBytes / 1048576.0, reps);
        for (int it = 0; it < 12; it++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) {
                for (Matrix m : ms) {
                    m.multiplyBatch(a, out, rows, 1, 0, rows);
                }
            }
            long ns = System.nanoTime() - t0;
            System.out.printf("%s pass %d: %.2f GB/s (%.1f ms)%n", t, it, total / ns, ns / 1e6);
        }
    }
}
