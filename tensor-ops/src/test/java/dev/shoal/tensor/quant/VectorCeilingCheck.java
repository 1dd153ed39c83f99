package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.L;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The most weights per second one core can multiply through the Vector API when they arrive as bytes — an upper
 * bound for any quantized decode kernel written with it, whatever its block layout. Weights sit in L1 (16 KiB, four
 * rows of 4 KiB), so memory plays no part; there are no scales, no bounds beyond the segment's, nothing but the
 * unavoidable steps: load, widen to floats (the API has no int8 dot product, so every weight passes a float
 * conversion), multiply-add. Four rows at a time, as the decode kernels run.
 *
 * <ul>
 *   <li>{@code int8}: one weight per byte (the body of a Q8_0 kernel);</li>
 *   <li>{@code int4}: two weights per byte, low and high nibble, each masked (the body of a Q4_0/Q4_K kernel).</li>
 * </ul>
 *
 * Prints giga-weights per second and the decode tok/s that would give on the 1B shape (1.236·10⁹ weights per
 * token) if memory cost nothing. Not a test: run pinned to one core with the test classpath and
 * {@code --add-modules=jdk.incubator.vector}.
 */
public final class VectorCeilingCheck {

    private static final int ROW_BYTES = 4096;
    private static final int ROWS = 4;
    private static final double WEIGHTS_PER_TOKEN_1B = 1.236e9;
    private static volatile float sink;

    private VectorCeilingCheck() {
    }

    public static void main(String[] args) {
        MemorySegment w = Arena.ofAuto().allocate((long) ROW_BYTES * ROWS, 64);
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 37 + 11));
        }
        float[] x = new float[2 * ROW_BYTES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 13) - 6;
        }
        System.out.printf("species %d bits, weights in L1 (%d KiB), 1 thread%n", F.vectorBitSize(),
                ROW_BYTES * ROWS / 1024);
        for (int round = 0; round < 3; round++) {
            report("int8", ROW_BYTES, time(() -> sink += int8(w, x)));
            report("int4", 2 * ROW_BYTES, time(() -> sink += int4(w, x)));
        }
    }

    private static void report(String what, int weightsPerRow, double nanosPerPass) {
        double gw = (double) weightsPerRow * ROWS / nanosPerPass;
        System.out.printf("%-5s %6.2f Gweights/s  -> at most %5.1f tok/s on the 1B shape%n", what, gw,
                gw * 1e9 / WEIGHTS_PER_TOKEN_1B);
    }

    /** Median nanoseconds per call over 31 batches, after two seconds of warm-up. */
    private static double time(Runnable pass) {
        long warm = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warm) {
            pass.run();
        }
        double[] batches = new double[31];
        int reps = 2000;
        for (int i = 0; i < batches.length; i++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                pass.run();
            }
            batches[i] = (System.nanoTime() - t0) / (double) reps;
        }
        java.util.Arrays.sort(batches);
        return batches[batches.length / 2];
    }

    private static float int8(MemorySegment w, float[] x) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int i = 0; i < ROW_BYTES; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i);
            a0 = widen(w, i).fma(xv, a0);
            a1 = widen(w, ROW_BYTES + i).fma(xv, a1);
            a2 = widen(w, 2L * ROW_BYTES + i).fma(xv, a2);
            a3 = widen(w, 3L * ROW_BYTES + i).fma(xv, a3);
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector widen(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B,
                w, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float int4(MemorySegment w, float[] x) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int i = 0; i < ROW_BYTES; i += L) {
            FloatVector xl = FloatVector.fromArray(F, x, 2 * i);
            FloatVector xh = FloatVector.fromArray(F, x, 2 * i + L);
            a0 = nibbles(w, i, xl, xh, a0);
            a1 = nibbles(w, ROW_BYTES + i, xl, xh, a1);
            a2 = nibbles(w, 2L * ROW_BYTES + i, xl, xh, a2);
            a3 = nibbles(w, 3L * ROW_BYTES + i, xl, xh, a3);
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector nibbles(MemorySegment w, long at, FloatVector xl, FloatVector xh, FloatVector acc) {
        ByteVector q = ByteVector.fromMemorySegment(B,
                w, at, ByteOrder.LITTLE_ENDIAN);
        FloatVector lo = (FloatVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
        FloatVector hi = (FloatVector) q.and((byte) 0xF0).convertShape(VectorOperators.B2F, F, 0);
        return hi.fma(xh, lo.fma(xl, acc));
    }
}
