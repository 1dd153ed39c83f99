package dev.shoal.tensor.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Scratch: Q8_0 dot variants over ~1 GiB, 1 thread. */
public final class Q8Variants {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final int BLOCK = 34;

    static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(F16, at));
    }

    static float v0(MemorySegment src, long off, float[] x, float[] dx, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long at = off + (long) BLOCK * b;
            int xb = 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 32; g += 16) {
                ByteVector q = ByteVector.fromMemorySegment(B16, src, at + 2 + g, LE);
                s = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + g), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(src, at) * dx[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static final long DIST = Long.getLong("dist", 1024);
    static int sink;
    static final dev.shoal.tensor.quant.QuantKernel PK = dev.shoal.tensor.quant.QuantKernels.forType(dev.shoal.tensor.quant.GgmlType.Q8_0, "w");
    static dev.shoal.tensor.quant.QuantizedActivations QA;
    static final int SKEW = Integer.getInteger("skew", 0);

    /** v0 plus a touch of one byte DIST ahead every other block (one per 68 bytes) */
    static float v3(MemorySegment src, long off, float[] x, float[] dx, int n) {
        FloatVector acc = FloatVector.zero(F);
        final long last = src.byteSize() - 1;
        int touched = 0;
        for (int b = 0; b < n / 32; b++) {
            long at = off + (long) BLOCK * b;
            if ((b & 1) == 0) {
                touched ^= src.get(ValueLayout.JAVA_BYTE, Math.min(at + DIST, last));
            }
            int xb = 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 32; g += 16) {
                ByteVector q = ByteVector.fromMemorySegment(B16, src, at + 2 + g, LE);
                s = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + g), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(src, at) * dx[b]), acc);
        }
        sink += touched;
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** n rows at once: rows off[0..k) */
    static void v4(MemorySegment src, long o0, long o1, long o2, long o3, float[] x, float[] dx, int n, float[] out, int r, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long blk = (long) BLOCK * b;
            int xb = 32 * b;
            FloatVector xl = FloatVector.fromArray(F, x, xb);
            FloatVector xh = FloatVector.fromArray(F, x, xb + 16);
            float d = dx[b];
            a0 = blockDot(src, o0 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o0 + blk) * d), a0);
            a1 = blockDot(src, o1 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o1 + blk) * d), a1);
            a2 = blockDot(src, o2 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o2 + blk) * d), a2);
            a3 = blockDot(src, o3 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o3 + blk) * d), a3);
        }
        out[r] = a0.reduceLanes(VectorOperators.ADD);
        out[r + stride] = a1.reduceLanes(VectorOperators.ADD);
        out[r + 2 * stride] = a2.reduceLanes(VectorOperators.ADD);
        out[r + 3 * stride] = a3.reduceLanes(VectorOperators.ADD);
    }

    static FloatVector blockDot(MemorySegment src, long at, FloatVector xl, FloatVector xh) {
        FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 2, LE).convertShape(VectorOperators.B2F, F, 0);
        FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 18, LE).convertShape(VectorOperators.B2F, F, 0);
        return w1.fma(xh, w0.mul(xl));
    }

    static void v8(MemorySegment src, long[] o, float[] x, float[] dx, int n, float[] out, int r, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
        final long o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3], o4 = o[4], o5 = o[5], o6 = o[6], o7 = o[7];
        for (int b = 0; b < n / 32; b++) {
            long blk = (long) BLOCK * b;
            int xb = 32 * b;
            FloatVector xl = FloatVector.fromArray(F, x, xb);
            FloatVector xh = FloatVector.fromArray(F, x, xb + 16);
            float d = dx[b];
            a0 = blockDot(src, o0 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o0 + blk) * d), a0);
            a1 = blockDot(src, o1 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o1 + blk) * d), a1);
            a2 = blockDot(src, o2 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o2 + blk) * d), a2);
            a3 = blockDot(src, o3 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o3 + blk) * d), a3);
            a4 = blockDot(src, o4 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o4 + blk) * d), a4);
            a5 = blockDot(src, o5 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o5 + blk) * d), a5);
            a6 = blockDot(src, o6 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o6 + blk) * d), a6);
            a7 = blockDot(src, o7 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o7 + blk) * d), a7);
        }
        out[r] = a0.reduceLanes(VectorOperators.ADD);
        out[r + stride] = a1.reduceLanes(VectorOperators.ADD);
        out[r + 2 * stride] = a2.reduceLanes(VectorOperators.ADD);
        out[r + 3 * stride] = a3.reduceLanes(VectorOperators.ADD);
        out[r + 4 * stride] = a4.reduceLanes(VectorOperators.ADD);
        out[r + 5 * stride] = a5.reduceLanes(VectorOperators.ADD);
        out[r + 6 * stride] = a6.reduceLanes(VectorOperators.ADD);
        out[r + 7 * stride] = a7.reduceLanes(VectorOperators.ADD);
    }

    static void v5(MemorySegment src, long o0, long o1, float[] x, float[] dx, int n, float[] out, int r, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long blk = (long) BLOCK * b;
            int xb = 32 * b;
            FloatVector xl = FloatVector.fromArray(F, x, xb);
            FloatVector xh = FloatVector.fromArray(F, x, xb + 16);
            float d = dx[b];
            a0 = blockDot(src, o0 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o0 + blk) * d), a0);
            a1 = blockDot(src, o1 + blk, xl, xh).fma(FloatVector.broadcast(F, f16(src, o1 + blk) * d), a1);
        }
        out[r] = a0.reduceLanes(VectorOperators.ADD);
        out[r + stride] = a1.reduceLanes(VectorOperators.ADD);
    }

    static float v0c(MemorySegment src, long off, float[] x, int xo, float[] dx, int bo, int nb) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long at = off + (long) BLOCK * b;
            int xb = xo + 32 * b;
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 18, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector s = w1.fma(FloatVector.fromArray(F, x, xb + 16), w0.mul(FloatVector.fromArray(F, x, xb)));
            acc = s.fma(FloatVector.broadcast(F, f16(src, at) * dx[bo + b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static final int CH = Integer.getInteger("chunk", 16);

    static void c4(MemorySegment src, long off, long stride, float[] x, float[] dx, int n, float[] out, int r, int q) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int nb = n / 32;
        for (int c = 0; c < nb; c += CH) {
            long co = off + (long) BLOCK * c;
            s0 += v0c(src, co, x, 32 * c, dx, c, CH);
            s1 += v0c(src, co + stride, x, 32 * c, dx, c, CH);
            s2 += v0c(src, co + 2 * stride, x, 32 * c, dx, c, CH);
            s3 += v0c(src, co + 3 * stride, x, 32 * c, dx, c, CH);
        }
        out[r] = s0; out[r + q] = s1; out[r + 2 * q] = s2; out[r + 3 * q] = s3;
    }

    /** two independent accumulators, blocks in pairs */
    static float v1(MemorySegment src, long off, float[] x, float[] dx, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int nb = n / 32;
        for (int b = 0; b < nb; b += 2) {
            long at = off + (long) BLOCK * b;
            int xb = 32 * b;
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 18, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w2 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 36, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w3 = (FloatVector) ByteVector.fromMemorySegment(B16, src, at + 52, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector s0 = w0.mul(FloatVector.fromArray(F, x, xb)).add(w1.mul(FloatVector.fromArray(F, x, xb + 16)));
            FloatVector s1 = w2.mul(FloatVector.fromArray(F, x, xb + 32)).add(w3.mul(FloatVector.fromArray(F, x, xb + 48)));
            acc0 = s0.fma(FloatVector.broadcast(F, f16(src, at) * dx[b]), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, f16(src, at + 34) * dx[b + 1]), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** int path: 32 weights as bytes -> shorts, x levels as bytes -> shorts, mul in shorts, widen to ints and sum */
    static float v2(MemorySegment src, long off, byte[] xq, float[] dx, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long at = off + (long) BLOCK * b;
            ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B32, src, at + 2, LE).convertShape(VectorOperators.B2S, S32, 0);
            ShortVector xv = (ShortVector) ByteVector.fromArray(B32, xq, 32 * b).convertShape(VectorOperators.B2S, S32, 0);
            ShortVector p = w.mul(xv);
            IntVector lo = (IntVector) p.convertShape(VectorOperators.S2I, I16, 0);
            IntVector hi = (IntVector) p.convertShape(VectorOperators.S2I, I16, 1);
            FloatVector s = (FloatVector) lo.add(hi).convert(VectorOperators.I2F, 0);
            acc = s.fma(FloatVector.broadcast(F, f16(src, at) * dx[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float read4(MemorySegment src, long o0, long o1, long o2, long o3, int bytes) {
        ByteVector a0 = ByteVector.zero(B64), a1 = ByteVector.zero(B64), a2 = ByteVector.zero(B64), a3 = ByteVector.zero(B64);
        for (int i = 0; i + 64 <= bytes; i += 64) {
            a0 = a0.add(ByteVector.fromMemorySegment(B64, src, o0 + i, LE));
            a1 = a1.add(ByteVector.fromMemorySegment(B64, src, o1 + i, LE));
            a2 = a2.add(ByteVector.fromMemorySegment(B64, src, o2 + i, LE));
            a3 = a3.add(ByteVector.fromMemorySegment(B64, src, o3 + i, LE));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    /** read bandwidth baseline */
    static float read(MemorySegment src, long off, int bytes) {
        ByteVector a0 = ByteVector.zero(B64), a1 = ByteVector.zero(B64);
        int i = 0;
        for (; i + 128 <= bytes; i += 128) {
            a0 = a0.add(ByteVector.fromMemorySegment(B64, src, off + i, LE));
            a1 = a1.add(ByteVector.fromMemorySegment(B64, src, off + i + 64, LE));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int rows = 8192, cols = 2048;
        long rowBytes = cols / 32 * BLOCK;
        long budget = Long.getLong("budget", 1L << 30);
        if (budget < rows * rowBytes) rows = (int) (budget / rowBytes) / 8 * 8;
        int mats = (int) Math.max(1, budget / (rowBytes * rows));
        final int reps = (int) Math.max(1, (1L << 30) / (mats * rows * rowBytes));
        Arena arena = Arena.ofShared();
        Random rnd = new Random(1);
        MemorySegment[] ms = new MemorySegment[mats];
        for (int m = 0; m < mats; m++) {
            ms[m] = arena.allocate(rowBytes * rows, 64);
            for (long i = 0; i < rowBytes * rows; i += 2) {
                ms[m].set(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) rnd.nextInt());
            }
            for (long bb = 0; bb < rowBytes * rows; bb += BLOCK) {
                ms[m].set(F16, bb, Float.floatToFloat16(0.01f));
            }
        }
        float[] x = new float[cols];
        byte[] xq = new byte[cols];
        float[] dx = new float[cols / 32];
        for (int i = 0; i < cols; i++) { xq[i] = (byte) (rnd.nextInt(255) - 127); x[i] = xq[i]; }
        java.util.Arrays.fill(dx, 0.1f);
        QA = new dev.shoal.tensor.quant.QuantizedActivations(dev.shoal.tensor.quant.ActivationType.Q8_0, 1, cols);
        QA.quantize(x, cols, 1, cols);
        float[] out = new float[rows];
        double total = (double) reps * mats * rows * rowBytes;
        String[] vs = args.length > 0 ? args : new String[]{"read", "v0", "v1", "v2"};
        for (int round = 0; round < 3; round++) {
            for (String v : vs) {
                double best = 0;
                for (int it = 0; it < 4; it++) {
                    long t0 = System.nanoTime();
                    for (int rep = 0; rep < reps; rep++) for (MemorySegment s : ms) {
                        if (v.equals("v4")) {
                            int q = rows / 4;
                            for (int r = 0; r < q; r++) {
                                v4(s, r * rowBytes, ((r + SKEW) % q + q) * rowBytes, ((r + 2 * SKEW) % q + 2L * q) * rowBytes, ((r + 3 * SKEW) % q + 3L * q) * rowBytes, x, dx, cols, out, r, q);
                            }
                            continue;
                        }
                        if (v.equals("v8")) {
                            int q = rows / 8;
                            long[] o = new long[8];
                            for (int r = 0; r < q; r++) {
                                for (int i = 0; i < 8; i++) o[i] = (((r + SKEW * i) % q) + (long) i * q) * rowBytes;
                                v8(s, o, x, dx, cols, out, r, q);
                            }
                            continue;
                        }
                        if (v.equals("read4")) {
                            int q = rows / 4;
                            for (int r = 0; r < q; r++) {
                                out[r] = read4(s, r * rowBytes, (r + q) * rowBytes, (r + 2L * q) * rowBytes, (r + 3L * q) * rowBytes, (int) rowBytes);
                            }
                            continue;
                        }
                        if (v.equals("c4")) {
                            int q = rows / 4;
                            for (int r = 0; r < q; r++) {
                                c4(s, r * rowBytes, q * rowBytes, x, dx, cols, out, r, q);
                            }
                            continue;
                        }
                        if (v.equals("p4")) {
                            int q = rows / 4;
                            for (int r = 0; r < q; r++) {
                                PK.dotQuantized4(s, r * rowBytes, q * rowBytes, QA, 0, cols, out, r, q);
                            }
                            continue;
                        }
                        if (v.equals("p2")) {
                            int q = rows / 2;
                            for (int r = 0; r < q; r++) {
                                PK.dotQuantized2(s, r * rowBytes, (r + q) * rowBytes, QA, 0, cols, out, r, r + q);
                            }
                            continue;
                        }
                        if (v.equals("v4s")) {
                            for (int r = 0; r < rows; r += 4) {
                                v4(s, r * rowBytes, (r + 1) * rowBytes, (r + 2L) * rowBytes, (r + 3L) * rowBytes, x, dx, cols, out, r, 1);
                            }
                            continue;
                        }
                        if (v.equals("v5")) {
                            int q = rows / 2;
                            for (int r = 0; r < q; r++) {
                                v5(s, r * rowBytes, (r + q) * rowBytes, x, dx, cols, out, r, q);
                            }
                            continue;
                        }
                        for (int r = 0; r < rows; r++) {
                            long off = r * rowBytes;
                            out[r] = switch (v) {
                                case "v0" -> v0(s, off, x, dx, cols);
                                case "v1" -> v1(s, off, x, dx, cols);
                                case "v2" -> v2(s, off, xq, dx, cols);
                                case "v3" -> v3(s, off, x, dx, cols);
                                default -> read(s, off, (int) rowBytes);
                            };
                        }
                    }
                    long ns = System.nanoTime() - t0;
                    best = Math.max(best, total / ns);
                }
                System.out.printf("%s: %.2f GB/s out0=%f%n", v, best, out[0]);
            }
        }
    }
}
