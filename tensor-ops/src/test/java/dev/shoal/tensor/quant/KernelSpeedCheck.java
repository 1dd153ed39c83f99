package dev.shoal.tensor.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Single-thread speed of the vector {@code dot} (float activations) and {@code dotQuantized} (activations quantized
 * to the type's {@link ActivationType}, rows taken four at a time from the matrix's quarters through {@code dotQuantized4} as the decode path does)
 * per type: a 4096×4096 mat-vec (one dot per row; {@code -Dn=N} for N×N), reported as GB/s of weight bytes streamed, with the median and
 * best of ~3 s of repeats after ~1.5 s of warm-up, and the heap bytes one warm mat-vec allocates (0 unless a vector
 * failed to stay in registers). The matrix (9–64 MiB) may sit in a large last-level cache: these are kernel
 * figures, not memory-bandwidth ones.
 * Run from tensor-ops with the test classpath and {@code --add-modules=jdk.incubator.vector}; optional args name
 * the types to run. Not a test: the figures depend on the machine and what else runs on it.
 */
public final class KernelSpeedCheck {

    private static final int N = Integer.getInteger("n", 4096);
    private static volatile float sink;

    private KernelSpeedCheck() {
    }

    public static void main(String[] args) {
        System.out.printf("species %d bits (%d float lanes), %dx%d, 1 thread%n", Lanes.F.vectorBitSize(), Lanes.L, N, N);
        System.out.printf("%-5s %-7s %9s %9s %9s %9s %11s%n", "type", "acts", "MiB", "ms(med)", "GB/s med",
                "GB/s best", "heap B/mv");
        java.util.List<GgmlType> types = new java.util.ArrayList<>(java.util.List.of(GgmlType.F32));
        types.addAll(QuantFixtures.TYPES);
        if (args.length > 0) {
            types = Arrays.stream(args).map(GgmlType::valueOf).toList();
        }
        for (GgmlType t : types) {
            run(t, false);
            if (QuantKernels.forType(t, "bench").activationType() != ActivationType.F32) {
                run(t, true);
            }
        }
    }

    private static void run(GgmlType t, boolean quantized) {
        QuantKernel k = QuantKernels.forType(t, "bench");
        SplittableRandom rnd = new SplittableRandom(1);
        long rowBytes = t.bytesFor(N);
        try (Arena arena = Arena.ofConfined()) {
            // every row holds the same quantized gaussian data: the kernels' speed does not depend on the values
            MemorySegment one = arena.allocate(rowBytes, 64);
            k.quantize(QuantFixtures.gaussian(rnd, N, 0.1), 0, N, one, 0);
            MemorySegment m = arena.allocate(rowBytes * N, 64);
            for (int r = 0; r < N; r++) {
                MemorySegment.copy(one, 0, m, r * rowBytes, rowBytes);
            }
            float[] x = QuantFixtures.gaussian(rnd, N, 1.0);
            float[] y = new float[N];
            QuantizedActivations a = new QuantizedActivations(quantized ? k.activationType() : ActivationType.F32, 1, N);
            a.quantize(x, N, 1, N);
            long until = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < until) {
                matVec(k, m, rowBytes, a, y);
            }
            long[] times = new long[4096];
            int reps = 0;
            until = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < until && reps < times.length) {
                long t0 = System.nanoTime();
                matVec(k, m, rowBytes, a, y);
                times[reps++] = System.nanoTime() - t0;
            }
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadAllocatedBytes();
            matVec(k, m, rowBytes, a, y);
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            long[] done = Arrays.copyOf(times, reps);
            Arrays.sort(done);
            double bytes = (double) rowBytes * N;
            double med = done[reps / 2];
            System.out.printf("%-5s %-7s %9.1f %9.2f %9.2f %9.2f %11d%n", t, a.type(), bytes / (1 << 20), med / 1e6,
                    bytes / med, bytes / done[0], allocated);
            sink += y[N / 2];
        }
    }

    private static void matVec(QuantKernel k, MemorySegment m, long rowBytes, QuantizedActivations a, float[] y) {
        if (a.type() == ActivationType.F32) {
            for (int r = 0; r < N; r++) {
                y[r] = k.dot(m, r * rowBytes, a.values(), 0, N);
            }
            return;
        }
        for (int r = 0; r < N / 4; r++) {
            k.dotQuantized4(m, r * rowBytes, N / 4 * rowBytes, a, 0, N, y, r, N / 4);
        }
    }
}
