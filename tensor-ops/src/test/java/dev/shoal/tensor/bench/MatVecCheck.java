package dev.shoal.tensor.bench;

import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Scratch: mat-vec GB/s over ~1 GiB of weights of one type, 1 thread. */
public final class MatVecCheck {
    public static void main(String[] args) {
        GgmlType t = GgmlType.valueOf(args.length > 0 ? args[0] : "Q8_0");
        int rows = 8192, cols = 2048;
        long budget = args.length > 1 ? Long.parseLong(args[1]) : (1L << 30);
        if (budget < (long) rows * t.bytesFor(cols)) rows = (int) (budget / t.bytesFor(cols));
        QuantKernel k = QuantKernels.forType(t, "w");
        long rowBytes = t.bytesFor(cols);
        int mats = (int) Math.max(1, budget / (rowBytes * rows));
        int reps = (int) Math.max(1, (1L << 30) / (mats * rows * rowBytes));
        Arena arena = Arena.ofShared();
        Random rnd = new Random(1);
        Matrix[] ms = new Matrix[mats];
        float[] tmp = new float[cols];
        for (int m = 0; m < mats; m++) {
            MemorySegment seg = arena.allocate(rowBytes * rows, 64);
            for (int r = 0; r < rows; r++) {
                if (r < 64) {
                    for (int i = 0; i < cols; i++) tmp[i] = (float) rnd.nextGaussian() * 0.02f;
                    k.quantize(tmp, 0, cols, seg, r * rowBytes);
                } else {
                    MemorySegment.copy(seg, (r % 64) * rowBytes, seg, r * rowBytes, rowBytes);
                }
            }
            ms[m] = new Matrix("w" + m, k, seg, rowBytes, 0, rows, 0, cols);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        QuantizedActivations a = new QuantizedActivations(k.activationType(), 1, cols);
        a.quantize(x, cols, 1, cols);
        float[] out = new float[rows];
        final int nrows = rows;
        double total = (double) reps * mats * rows * rowBytes;
        for (int it = 0; it < 12; it++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) for (Matrix m : ms) m.multiplyBatch(a, out, nrows, 1, 0, nrows);
            long ns = System.nanoTime() - t0;
            System.out.printf("%s pass %d: %.2f GB/s (%.1f ms) out0=%f%n", t, it, total / ns, ns / 1e6, out[0]);
        }
    }
}
