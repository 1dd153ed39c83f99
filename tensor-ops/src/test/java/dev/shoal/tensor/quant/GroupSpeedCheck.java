package dev.shoal.tensor.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Single-thread speed of the repacked decode kernels ({@link RowGroups#dotGroups}) at three matrix sizes: one that
 * stays in L2 (128 rows), one of 9 MiB (L3) and one of 72 MiB (from memory), all of 2048 columns ({@code -Dcols=N}
 * for another width). If the L2 figure
 * is much above the memory one, decode waits on memory; if they are close, on arithmetic. Prints GB/s of weight bytes
 * and CPU nanoseconds per 256 weights. Run from tensor-ops with the test classpath and
 * {@code --add-modules=jdk.incubator.vector}; optional args name the types (Q4_0, Q4_K). Not a test.
 */
public final class GroupSpeedCheck {

    private static final int COLS = Integer.getInteger("cols", 2048);
    private static volatile float sink;

    private GroupSpeedCheck() {
    }

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"Q4_0", "Q4_K"};
        System.out.printf("%-5s %7s %9s %9s %9s %12s%n", "type", "rows", "MiB", "GB/s med", "GB/s best", "ns/256 w");
        for (String name : types) {
            GgmlType t = GgmlType.valueOf(name);
            for (int rows : new int[] {128, 8192 * 2048 / COLS, 65536 * 2048 / COLS}) {
                run(t, rows);
            }
        }
    }

    private static void run(GgmlType t, int rows) {
        QuantKernel k = QuantKernels.forType(t, "bench");
        RowGroups g = RowGroups.forType(t);
        SplittableRandom rnd = new SplittableRandom(1);
        long rowBytes = t.bytesFor(COLS);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment plain = arena.allocate(rowBytes * rows, 64);
            for (int r = 0; r < Math.min(rows, 64); r++) {
                k.quantize(QuantFixtures.gaussian(rnd, COLS, 0.1), 0, COLS, plain, r * rowBytes);
            }
            for (int r = 64; r < rows; r++) {
                MemorySegment.copy(plain, (r % 64) * rowBytes, plain, r * rowBytes, rowBytes);
            }
            MemorySegment m = arena.allocate(rowBytes * rows, 64);
            g.pack(plain, 0, rowBytes, rows, COLS, m, 0);
            float[] x = QuantFixtures.gaussian(rnd, COLS, 1.0);
            float[] y = new float[rows];
            QuantizedActivations a = new QuantizedActivations(k.activationType(), 1, COLS);
            a.quantize(x, COLS, 1, COLS);
            int groups = rows / RowGroups.ROWS;
            long until = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < until) {
                g.dotGroups(m, 0, a, 0, COLS, 0, groups, y, 0);
            }
            long[] times = new long[100_000];
            int reps = 0;
            until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until && reps < times.length) {
                long t0 = System.nanoTime();
                g.dotGroups(m, 0, a, 0, COLS, 0, groups, y, 0);
                times[reps++] = System.nanoTime() - t0;
            }
            long[] done = Arrays.copyOf(times, reps);
            Arrays.sort(done);
            double bytes = (double) rowBytes * rows;
            double med = done[reps / 2];
            System.out.printf("%-5s %7d %9.1f %9.2f %9.2f %12.2f%n", t, rows, bytes / (1 << 20), bytes / med,
                    bytes / done[0], med / ((double) rows * COLS / 256));
            sink += y[rows / 2];
        }
    }
}
