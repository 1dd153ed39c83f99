package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.PARTS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Why the Q8_0 decode streams weights at ~60 % of what one core can read: one loop shape per JVM (C2 compiles
 * shapes that share helpers differently once several have run, so compare runs, not shapes in one run), over
 * 2048-column Q8_0 rows taken four at a time from the quarters of the set, as {@code Matrix.multiplyOne} does.
 *
 * <ul>
 *   <li>{@code kernel}: the real {@link Q8_0Kernel#dotQuantized4};</li>
 *   <li>{@code noscale}: the same loop without the per-block scales (wrong result, half the arithmetic);</li>
 *   <li>{@code read}: the same bytes loaded 16 at a time and added as bytes, aligned to 16;</li>
 *   <li>{@code readq8}: the same, at Q8_0's offsets (blocks of 34 bytes, quants from byte 2: some loads straddle
 *   two cache lines);</li>
 *   <li>{@code plain}: a copy of the kernel's loop (static, activations from element 0);</li>
 *   <li>{@code global} and {@code globalk}: {@code plain} and the kernel reading through one segment over all of
 *   memory at absolute addresses, so no load is checked against a row's own limit (a test of what the bounds
 *   checks cost; the weights' segment is kept reachable by hand);</li>
 *   <li>{@code scaled} and {@code touch}: the same loop with a loop-invariant flag that, when set ({@code touch}),
 *   loads one byte of each row {@code -Dahead} bytes (default 1024) ahead every block — the nearest Java has to a
 *   prefetch. {@code scaled} runs it with the flag off: C2 compiles that loop differently from {@code plain}, and
 *   it streams faster (see docs/BENCHMARKS.md).</li>
 * </ul>
 *
 * Args: the shape, then a byte budget (default 1 GiB: from DRAM; 40000: from L1). Prints GB/s of weight bytes.
 * Not a test: run pinned to one core with the test classpath and {@code --add-modules=jdk.incubator.vector}.
 */
public final class StreamingCheck {

    private static final int QK = 32;
    private static final int BLOCK = 34;
    private static final int COLS = 2048;
    private static final long ROW_BYTES = (long) COLS / QK * BLOCK;
    private static volatile float sink;

    private StreamingCheck() {
    }

    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "kernel";
        long budget = args.length > 1 ? Long.parseLong(args[1]) : 1L << 30;
        int rows = (int) Math.max(4, budget / ROW_BYTES) / 4 * 4;
        QuantKernel k = QuantKernels.forType(GgmlType.Q8_0, "w");
        MemorySegment w = Arena.ofAuto().allocate(ROW_BYTES * rows, 64);
        Random rnd = new Random(1);
        float[] tmp = new float[COLS];
        for (int r = 0; r < rows; r++) {
            if (r < 64) {
                for (int i = 0; i < COLS; i++) {
                    tmp[i] = (float) rnd.nextGaussian();
                }
                k.quantize(tmp, 0, COLS, w, r * ROW_BYTES);
            } else {
                MemorySegment.copy(w, (r % 64) * ROW_BYTES, w, r * ROW_BYTES, ROW_BYTES);
            }
        }
        float[] x = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, 1, COLS);
        a.quantize(x, COLS, 1, COLS);
        float[] out = new float[rows];
        int quarter = rows / 4;
        long stride = quarter * ROW_BYTES;
        Runnable pass = switch (shape) {
            case "kernel" -> () -> {
                for (int r = 0; r < quarter; r++) {
                    k.dotQuantized4(w, r * ROW_BYTES, stride, a, 0, COLS, out, r, quarter);
                }
            };
            case "noscale" -> () -> {
                for (int r = 0; r < quarter; r++) {
                    noScale(w, r * ROW_BYTES, stride, a.values(), out, r, quarter);
                }
            };
            case "read" -> () -> {
                for (int r = 0; r < quarter; r++) {
                    read(w, r * ROW_BYTES, stride, out, r, 16, 0);
                }
            };
            case "readq8" -> () -> {
                for (int r = 0; r < quarter; r++) {
                    read(w, r * ROW_BYTES, stride, out, r, BLOCK, 2);
                }
            };
            case "spec" -> () -> {
                final int n = nVar;
                for (int r = 0; r < quarter; r++) {
                    if (n == 2048) {
                        param(w, r * ROW_BYTES, stride, a, out, r, quarter, 64);
                    } else {
                        param(w, r * ROW_BYTES, stride, a, out, r, quarter, n / QK);
                    }
                }
            };
            case "param" -> () -> {
                final int n = nVar;
                for (int r = 0; r < quarter; r++) {
                    param(w, r * ROW_BYTES, stride, a, out, r, quarter, n / QK);
                }
            };
            case "global" -> {
                final MemorySegment all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
                final long base = w.address();
                yield () -> {
                    for (int r = 0; r < quarter; r++) {
                        plain(all, base + r * ROW_BYTES, stride, a, out, r, quarter);
                    }
                    java.lang.ref.Reference.reachabilityFence(w);
                };
            }
            case "globalk" -> {
                final MemorySegment all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
                final long base = w.address();
                yield () -> {
                    for (int r = 0; r < quarter; r++) {
                        k.dotQuantized4(all, base + r * ROW_BYTES, stride, a, 0, COLS, out, r, quarter);
                    }
                    java.lang.ref.Reference.reachabilityFence(w);
                };
            }
            case "plain" -> () -> {
                for (int r = 0; r < quarter; r++) {
                    plain(w, r * ROW_BYTES, stride, a, out, r, quarter);
                }
            };
            case "scaled", "touch" -> {
                final boolean touch = shape.equals("touch");
                yield () -> {
                    for (int r = 0; r < quarter; r++) {
                        scaled(w, r * ROW_BYTES, stride, a, out, r, quarter, touch);
                    }
                };
            }
            default -> throw new IllegalArgumentException(
                    "shape must be kernel, noscale, read, readq8, plain, global, globalk, scaled or touch: " + shape);
        };
        System.out.printf("%s%s, %d MiB, %d-bit vectors, 1 thread%n", shape,
                shape.equals("touch") ? " (" + AHEAD + " bytes ahead)" : "", ROW_BYTES * rows >> 20, F.vectorBitSize());
        for (int round = 0; round < 3; round++) {
            System.out.printf("%-8s %6.2f GB/s%n", shape, ROW_BYTES * rows / time(pass));
            sink += out[rows - 1] + touched;
        }
    }

    /** Median ns per pass over 11 windows of 100 ms, after 1.5 s of warm-up. */
    private static double time(Runnable pass) {
        long warm = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < warm) {
            pass.run();
        }
        double[] windows = new double[11];
        for (int i = 0; i < windows.length; i++) {
            long t0 = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - t0 < 100_000_000L) {
                pass.run();
                n++;
            }
            windows[i] = (System.nanoTime() - t0) / (double) n;
        }
        Arrays.sort(windows);
        return windows[windows.length / 2];
    }

    private static FloatVector block(MemorySegment w, long at, float[] x, int xb) {
        ByteVector q = ByteVector.fromMemorySegment(B, w, at + 2, BlockIo.LE);
        FloatVector s = Lanes.toFloats(q, 0).mul(FloatVector.fromArray(F, x, xb));
        for (int c = 1; c < QK / L; c++) {
            final int p = c % PARTS;
            if (p == 0) {
                q = ByteVector.fromMemorySegment(B, w, at + 2 + c * L, BlockIo.LE);
            }
            s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xb + c * L), s);
        }
        return s;
    }

    private static void noScale(MemorySegment w, long o0, long stride, float[] x, float[] out, int at, int os) {
        final long o1 = o0 + stride;
        final long o2 = o0 + 2 * stride;
        final long o3 = o0 + 3 * stride;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < COLS / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = QK * b;
            a0 = a0.add(block(w, o0 + blk, x, xb));
            a1 = a1.add(block(w, o1 + blk, x, xb));
            a2 = a2.add(block(w, o2 + blk, x, xb));
            a3 = a3.add(block(w, o3 + blk, x, xb));
        }
        out[at] = a0.reduceLanes(VectorOperators.ADD);
        out[at + os] = a1.reduceLanes(VectorOperators.ADD);
        out[at + 2 * os] = a2.reduceLanes(VectorOperators.ADD);
        out[at + 3 * os] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** 16-byte loads, two per {@code step} bytes from {@code skip} on, over a row: the kernel's loads alone. */
    private static void read(MemorySegment w, long o0, long stride, float[] out, int at, int step, int skip) {
        final long o1 = o0 + stride;
        final long o2 = o0 + 2 * stride;
        final long o3 = o0 + 3 * stride;
        ByteVector a0 = ByteVector.zero(ByteVector.SPECIES_128);
        ByteVector a1 = a0;
        ByteVector a2 = a0;
        ByteVector a3 = a0;
        for (long i = skip; i + 32 <= ROW_BYTES; i += step == 16 ? 32 : step) {
            a0 = a0.add(load(w, o0 + i)).add(load(w, o0 + i + 16));
            a1 = a1.add(load(w, o1 + i)).add(load(w, o1 + i + 16));
            a2 = a2.add(load(w, o2 + i)).add(load(w, o2 + i + 16));
            a3 = a3.add(load(w, o3 + i)).add(load(w, o3 + i + 16));
        }
        out[at] = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static ByteVector load(MemorySegment w, long at) {
        return ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, at, BlockIo.LE);
    }

    private static final long AHEAD = Long.getLong("ahead", 1024);
    private static int touched;

    private static void scaled(MemorySegment w, long o0, long stride, QuantizedActivations a, float[] out, int at,
                               int os, boolean touch) {
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final long o1 = o0 + stride;
        final long o2 = o0 + 2 * stride;
        final long o3 = o0 + 3 * stride;
        final long last = w.byteSize() - 1;
        int t = 0;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < COLS / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = QK * b;
            final float d = dx[b];
            if (touch) {
                t += BlockIo.i8(w, Math.min(o0 + blk + AHEAD, last)) + BlockIo.i8(w, Math.min(o1 + blk + AHEAD, last))
                        + BlockIo.i8(w, Math.min(o2 + blk + AHEAD, last)) + BlockIo.i8(w, Math.min(o3 + blk + AHEAD, last));
            }
            a0 = block(w, o0 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o0 + blk) * d), a0);
            a1 = block(w, o1 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o1 + blk) * d), a1);
            a2 = block(w, o2 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o2 + blk) * d), a2);
            a3 = block(w, o3 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o3 + blk) * d), a3);
        }
        touched += t;
        out[at] = a0.reduceLanes(VectorOperators.ADD);
        out[at + os] = a1.reduceLanes(VectorOperators.ADD);
        out[at + 2 * os] = a2.reduceLanes(VectorOperators.ADD);
        out[at + 3 * os] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static volatile int nVar = COLS;

    private static void param(MemorySegment w, long o0, long stride, QuantizedActivations a, float[] out, int at,
                              int os, int nb) {
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final long o1 = o0 + stride;
        final long o2 = o0 + 2 * stride;
        final long o3 = o0 + 3 * stride;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < nb; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = QK * b;
            final float d = dx[b];
            a0 = block(w, o0 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o0 + blk) * d), a0);
            a1 = block(w, o1 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o1 + blk) * d), a1);
            a2 = block(w, o2 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o2 + blk) * d), a2);
            a3 = block(w, o3 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o3 + blk) * d), a3);
        }
        out[at] = a0.reduceLanes(VectorOperators.ADD);
        out[at + os] = a1.reduceLanes(VectorOperators.ADD);
        out[at + 2 * os] = a2.reduceLanes(VectorOperators.ADD);
        out[at + 3 * os] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static void plain(MemorySegment w, long o0, long stride, QuantizedActivations a, float[] out, int at,
                              int os) {
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final long o1 = o0 + stride;
        final long o2 = o0 + 2 * stride;
        final long o3 = o0 + 3 * stride;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < COLS / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = QK * b;
            final float d = dx[b];
            a0 = block(w, o0 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o0 + blk) * d), a0);
            a1 = block(w, o1 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o1 + blk) * d), a1);
            a2 = block(w, o2 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o2 + blk) * d), a2);
            a3 = block(w, o3 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(w, o3 + blk) * d), a3);
        }
        out[at] = a0.reduceLanes(VectorOperators.ADD);
        out[at + os] = a1.reduceLanes(VectorOperators.ADD);
        out[at + 2 * os] = a2.reduceLanes(VectorOperators.ADD);
        out[at + 3 * os] = a3.reduceLanes(VectorOperators.ADD);
    }
}
