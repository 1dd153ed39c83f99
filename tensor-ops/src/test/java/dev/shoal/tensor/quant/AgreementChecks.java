package dev.shoal.tensor.quant;

import dev.shoal.tensor.NativeSegments;
import dev.shoal.tensor.gguf.GgufFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Vector {@code dot} against {@code dotScalar} against dequantize-then-dot. Plain code throwing AssertionError, so
 * that {@link VectorWidthCheck} can run the same checks in a JVM forced to another vector width.
 *
 * <p>Tolerances. {@code dotScalar} is defined as the sequential float sum of dequantized weight × x, so it must
 * equal dequantize-then-dot bit for bit. The vector kernel sums in another order and applies block scales after
 * summing levels; any float summation of n terms is within (n-1)·u of the exact sum times Σ|term| (u = 2^-24),
 * and the terms it rounds are bounded by |w_i x_i| plus |o_i x_i|, o_i being the element's offset (the value
 * its block gives level 0: m, dmin·m, 8d, ...), since the kernels fold offsets in separately. So each dot must
 * satisfy |dot - dotScalar| ≤ 2(n+32)·u·Σ(|w_i|+|o_i|)|x_i|.
 */
final class AgreementChecks {

    static final double U = 0x1p-24;
    /**
     * Bound on Σ(dot-dotScalar)² / ΣdotScalar² over a whole reference matrix. Measured 2e-13 to 4e-13 for every
     * type at 128, 256 and 512 bits (rounding errors of ~sqrt(n)·u per dot); 1e-11 leaves a 25x margin.
     */
    static final double MATVEC_NMSE_BOUND = 1e-11;

    private AgreementChecks() {
    }

    /** Lengths: 1, 2, 3, 7, 8, 9 and 33 blocks; row lengths that are no multiple of any vector width for f16/bf16. */
    static int[] lengths(GgmlType t) {
        if (!t.quantized()) {
            return new int[] {1, 5, 17, 33, 1000};
        }
        int bs = t.blockSize();
        return new int[] {bs, 2 * bs, 3 * bs, 7 * bs, 8 * bs, 9 * bs, 33 * bs};
    }

    /** Byte range of a block that holds levels (everything but d, m, dmin and K-quant scales). */
    private static int[] levelBytes(GgmlType t) {
        return switch (t) {
            case Q8_0 -> new int[] {2, 34};
            case Q4_0 -> new int[] {2, 18};
            case Q5_0 -> new int[] {2, 22};
            case Q4_1 -> new int[] {4, 20};
            case Q5_1 -> new int[] {4, 24};
            case Q4_K -> new int[] {16, 144};
            case Q5_K -> new int[] {16, 176};
            case Q6_K -> new int[] {0, 192};
            default -> null;
        };
    }

    /** |o_i|: each element's dequantized value with all its level bits cleared. */
    static float[] offsets(GgmlType t, MemorySegment src, long offset, int n) {
        float[] o = new float[n];
        int[] lv = levelBytes(t);
        if (lv == null) {
            return o;
        }
        MemorySegment copy = NativeSegments.zeroed((int) t.bytesFor(n));
        MemorySegment.copy(src, offset, copy, 0, copy.byteSize());
        for (long b = 0; b < n / t.blockSize(); b++) {
            copy.asSlice(b * t.bytesPerBlock() + lv[0], lv[1] - lv[0]).fill((byte) 0);
        }
        QuantFixtures.kernel(t).dequantize(copy, 0, o, 0, n);
        return o;
    }

    /** 2(n+32)·u·Σ(|w_i|+|o_i|)|x_i|, {@code w} being the row dequantized. */
    static double tolerance(GgmlType t, MemorySegment src, long offset, float[] w, float[] x, int xOff, int n) {
        float[] o = offsets(t, src, offset, n);
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            magnitude += (Math.abs((double) w[i]) + Math.abs((double) o[i])) * Math.abs(x[xOff + i]);
        }
        return 2 * (n + 32) * U * magnitude + Float.MIN_NORMAL;
    }

    /** Checks one row; returns {dot, dotScalar}. */
    static float[] checkRow(GgmlType t, MemorySegment src, long offset, float[] x, int xOff, int n, String what) {
        QuantKernel k = QuantFixtures.kernel(t);
        float[] w = new float[n];
        k.dequantize(src, offset, w, 0, n);
        float seq = 0f;
        for (int i = 0; i < n; i++) {
            seq += w[i] * x[xOff + i];
        }
        float scalar = k.dotScalar(src, offset, x, xOff, n);
        if (Float.floatToRawIntBits(scalar) != Float.floatToRawIntBits(seq) && !(scalar == 0 && seq == 0)) {
            throw new AssertionError(what + ": dotScalar " + scalar + " != dequantize-then-dot " + seq);
        }
        float vector = k.dot(src, offset, x, xOff, n);
        double tol = tolerance(t, src, offset, w, x, xOff, n);
        if (!(Math.abs((double) vector - scalar) <= tol)) {
            throw new AssertionError(what + ": dot " + vector + " vs dotScalar " + scalar + " differ by "
                    + Math.abs((double) vector - scalar) + " > " + tol);
        }
        if (k.activationType() == ActivationType.F32) {
            // the decode path for float-activation types: four copies of the row, (bytes + 5) apart
            long bytes = t.bytesFor(n);
            long stride = bytes + 5;
            MemorySegment four = NativeSegments.zeroed((int) (offset + 4 * stride));
            for (int i = 0; i < 4; i++) {
                MemorySegment.copy(src, offset, four, offset + i * stride, bytes);
            }
            QuantizedActivations a = new QuantizedActivations(ActivationType.F32, 1, n);
            a.quantize(java.util.Arrays.copyOfRange(x, xOff, xOff + n), n, 1, n);
            float[] quad = new float[8];
            k.dotQuantized4(four, offset, stride, a, 0, n, quad, 0, 2);
            for (int i = 0; i < 4; i++) {
                if (!(Math.abs((double) quad[2 * i] - scalar) <= tol) || quad[2 * i + 1] != 0f) {
                    throw new AssertionError(what + ": dotQuantized4 row " + i + " gave " + quad[2 * i]
                            + " vs dotScalar " + scalar + " (tolerance " + tol + ")");
                }
            }
        }
        return new float[] {vector, scalar};
    }

    /** Every row of the two reference tensors times a random x; returns the mat-vec NMSE of dot vs dotScalar. */
    static double realTensors(GgmlType t, Path gguf) throws IOException {
        double worst = 0;
        try (GgufFile f = GgufFile.open(gguf)) {
            for (String[] name : QuantFixtures.TENSORS) {
                QuantFixtures.Matrix m = QuantFixtures.Matrix.of(f, name[0]);
                float[] x = QuantFixtures.gaussian(new SplittableRandom(11), m.rowLength(), 1.0);
                float[] vec = new float[m.rows()];
                float[] sca = new float[m.rows()];
                for (int r = 0; r < m.rows(); r++) {
                    float[] ds = checkRow(t, m.data(), r * m.rowBytes(), x, 0, m.rowLength(), t + " " + name[0] + " row " + r);
                    vec[r] = ds[0];
                    sca[r] = ds[1];
                }
                double e = QuantFixtures.nmse(vec, sca);
                if (!(e <= MATVEC_NMSE_BOUND)) {
                    throw new AssertionError(t + " " + name[0] + ": mat-vec NMSE " + e + " > " + MATVEC_NMSE_BOUND);
                }
                worst = Math.max(worst, e);
            }
        }
        return worst;
    }

    /** Synthetic rows of every length in {@link #lengths}, at odd byte offsets, quantized and raw. */
    static void synthetic(GgmlType t) {
        SplittableRandom rnd = new SplittableRandom(31 + t.ordinal());
        QuantKernel k = QuantFixtures.kernel(t);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                for (long offset : new long[] {0, 1, 3, 7, 13}) {
                    int xOff = (int) offset % 4;
                    float[] x = QuantFixtures.gaussian(rnd, n + xOff, 1.0);
                    String at = t + " n=" + n + " offset=" + offset;

                    MemorySegment raw = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), offset);
                    checkRow(t, raw, offset, x, xOff, n, at + " random blocks");

                    for (int kind = 0; kind < 4; kind++) {
                        float[] w = switch (kind) {
                            case 0 -> QuantFixtures.gaussian(rnd, n, 1.0);
                            case 1 -> new float[n];
                            case 2 -> QuantFixtures.gaussian(rnd, n, 1e-39); // float subnormals: f16 scales flush to 0
                            default -> extremes(rnd, t, n);
                        };
                        MemorySegment seg = arena.allocate(offset + t.bytesFor(n), 1);
                        k.quantize(w, 0, n, seg, offset);
                        checkRow(t, seg, offset, x, xOff, n, at + " quantized kind " + kind);
                    }
                }
            }
        }
    }

    /** Values at f16's limit ±65504 (1e30 for f32/bf16, whose limit would overflow the sum), zeros, small values. */
    private static float[] extremes(SplittableRandom rnd, GgmlType t, int n) {
        float big = t == GgmlType.BF16 || t == GgmlType.F32 ? 1e30f : 65504f;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = switch (rnd.nextInt(4)) {
                case 0 -> big;
                case 1 -> -big;
                case 2 -> 0f;
                default -> (float) QuantFixtures.gauss(rnd) * 1e-3f;
            };
        }
        return w;
    }

    /**
     * With x = the i-th unit vector every kernel's sum is one product plus exact zeros, so dot must return the
     * dequantized weight i bit for bit: this pins down the in-register decoding of every nibble, high bit and
     * scale position. Random raw blocks cover all bit patterns and the edge scales.
     */
    static void oneHot(GgmlType t) {
        SplittableRandom rnd = new SplittableRandom(97 + t.ordinal());
        QuantKernel k = QuantFixtures.kernel(t);
        int n = t.quantized() ? 2 * Math.max(t.blockSize(), 64) : 3 * Lanes.L + 5;
        try (Arena arena = Arena.ofConfined()) {
            for (int rep = 0; rep < 4; rep++) {
                MemorySegment seg = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), 3);
                float[] w = new float[n];
                k.dequantize(seg, 3, w, 0, n);
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = 1f;
                    float v = k.dot(seg, 3, x, 0, n);
                    x[i] = 0f;
                    if (v != w[i]) {
                        throw new AssertionError(t + " element " + i + " of " + n + ": one-hot dot " + v + " != weight " + w[i]);
                    }
                }
            }
        }
    }

    /** Every one of the 65536 f16/bf16 bit patterns, at every lane position, widened by the vector dot. */
    static void allHalfPatterns(GgmlType t) {
        QuantKernel k = QuantFixtures.kernel(t);
        int n = 2 * Lanes.L;
        MemorySegment seg = NativeSegments.zeroed(2 * n);
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        float[] w = new float[1];
        for (int h = 0; h < 65536; h++) {
            seg.fill((byte) 0);
            int pos = h % n;
            seg.set(BlockIo.I16, 2L * pos, (short) h);
            k.dequantize(seg, 2L * pos, w, 0, 1);
            float v = k.dot(seg, 0, ones, 0, n);
            boolean same = Float.isNaN(w[0]) ? Float.isNaN(v) : v == w[0];
            if (!same) {
                throw new AssertionError(t + String.format(" bits 0x%04x at lane %d: dot %s != %s", h, pos, v, w[0]));
            }
        }
    }

    /**
     * The quantized-activation kernels. For every length and byte offset, random raw blocks and quantized rows
     * (gaussian, extremes) against activations of several kinds, in row 1 of a two-row buffer (so row offsets are
     * exercised): {@code dotQuantizedScalar} within the float-sum bound of a double-precision evaluation of
     * llama.cpp's formula (Σ w·q·dx, plus m·(s − dx·Σq) for Q8_1's rounded block sum); {@code dotQuantized}
     * within the same bound of the scalar; {@code dotQuantized2} within it of two {@code dotQuantized}, and
     * {@code dotQuantized4} of four.
     */
    static void quantized(GgmlType t) {
        QuantKernel k = QuantFixtures.kernel(t);
        ActivationType at = k.activationType();
        if (at == ActivationType.F32) {
            return;
        }
        SplittableRandom rnd = new SplittableRandom(57 + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                for (long offset : new long[] {0, 3, 13}) {
                    for (int xKind = 0; xKind < 5; xKind++) {
                        QuantizedActivations a = new QuantizedActivations(at, 2, n);
                        float[] x = new float[2 * n];
                        float[] row = activations(rnd, n, xKind);
                        System.arraycopy(QuantFixtures.gaussian(rnd, n, 5.0), 0, x, 0, n);
                        System.arraycopy(row, 0, x, n, n);
                        a.quantize(x, n, 2, n);
                        String what = t + " n=" + n + " offset=" + offset + " x kind " + xKind;
                        MemorySegment raw = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), offset);
                        MemorySegment raw2 = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), offset);
                        checkQuantizedRow(t, raw, offset, raw2, offset, a, n, what + " random blocks");
                        for (int wKind = 0; wKind < 3; wKind++) {
                            float[] w = switch (wKind) {
                                case 0 -> QuantFixtures.gaussian(rnd, n, 1.0);
                                case 1 -> extremes(rnd, t, n);
                                // every weight at its type's top level: against x kind 4, every integer sum at its
                                // largest, where a 16-bit path would overflow if its bounds were wrong
                                default -> constant(n, 1f);
                            };
                            MemorySegment seg = arena.allocate(offset + t.bytesFor(n), 1);
                            k.quantize(w, 0, n, seg, offset);
                            checkQuantizedRow(t, seg, offset, raw, offset, a, n, what + " quantized weights " + wKind);
                        }
                    }
                }
            }
        }
    }

    private static float[] constant(int n, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, v);
        return x;
    }

    /**
     * Activations: gaussian; gaussian with whole zero blocks; ties at .5 steps; wide dynamic range; all equal (every
     * level at 127).
     */
    private static float[] activations(SplittableRandom rnd, int n, int kind) {
        float[] x = QuantFixtures.gaussian(rnd, n, 1.0);
        switch (kind) {
            case 1 -> java.util.Arrays.fill(x, 0, Math.min(n, 256), 0f);
            case 2 -> {
                // amax 127 makes the scale 1, so k + 0.5 values hit round-half-even exactly
                for (int i = 0; i < n; i++) {
                    x[i] = i % 32 == 0 ? 127f : (rnd.nextInt(254) - 127) + 0.5f;
                }
            }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    // 1e-4..1e2: wide, yet Q8_1's f16 block sum d·Σq stays finite
                    x[i] *= (float) Math.pow(10, rnd.nextInt(7) - 4);
                }
            }
            case 4 -> java.util.Arrays.fill(x, 1f);
            default -> {
            }
        }
        return x;
    }

    static void checkQuantizedRow(GgmlType t, MemorySegment src, long offset, MemorySegment other, long otherOffset,
                                  QuantizedActivations a, int n, String what) {
        QuantKernel k = QuantFixtures.kernel(t);
        float[] w = new float[n];
        k.dequantize(src, offset, w, 0, n);
        float[] o = offsets(t, src, offset, n);
        float[] lv = a.values();
        int xo = a.offset(1);
        int bs = a.type().blockSize();
        double ref = 0;
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            double xi = (double) lv[xo + i] * a.scale(1, i / bs);
            ref += w[i] * xi;
            magnitude += (Math.abs((double) w[i]) + Math.abs((double) o[i])) * Math.abs(xi);
        }
        if (a.type() == ActivationType.Q8_1) {
            // llama.cpp uses the block's stored s = f16(d·Σq) for the offset term, not dx·Σq
            for (int b = 0; b < n / bs; b++) {
                double sumQ = 0;
                for (int i = b * bs; i < (b + 1) * bs; i++) {
                    sumQ += lv[xo + i];
                }
                double s = a.blockSum(1, b);
                ref += o[b * bs] * (s - a.scale(1, b) * sumQ);
                magnitude += Math.abs(o[b * bs]) * Math.abs(s);
            }
        }
        double tol = 2 * (n + 32) * U * magnitude + Float.MIN_NORMAL;
        float scalar = k.dotQuantizedScalar(src, offset, a, 1, n);
        if (!(Math.abs(scalar - ref) <= tol)) {
            throw new AssertionError(what + ": dotQuantizedScalar " + scalar + " vs reference " + ref + " differ by "
                    + Math.abs(scalar - ref) + " > " + tol);
        }
        float vector = k.dotQuantized(src, offset, a, 1, n);
        if (!(Math.abs((double) vector - scalar) <= tol)) {
            throw new AssertionError(what + ": dotQuantized " + vector + " vs dotQuantizedScalar " + scalar
                    + " differ by " + Math.abs((double) vector - scalar) + " > " + tol);
        }
        // both rows in one segment, the second 7 bytes past the first's end
        long bytes = t.bytesFor(n);
        MemorySegment both = NativeSegments.zeroed((int) (offset + 2 * bytes + 7));
        MemorySegment.copy(src, offset, both, offset, bytes);
        MemorySegment.copy(other, otherOffset, both, offset + bytes + 7, bytes);
        float first = k.dotQuantized(both, offset, a, 1, n);
        float second = k.dotQuantized(both, offset + bytes + 7, a, 1, n);
        float[] pair = new float[3];
        k.dotQuantized2(both, offset, offset + bytes + 7, a, 1, n, pair, 0, 2);
        // not bit for bit: a reduceLanes may sum in another order once C2 has compiled one call site and not the other
        double tol2 = 2 * (n + 32) * U * magnitude(t, other, otherOffset, a, n) + Float.MIN_NORMAL;
        if (!(Math.abs((double) pair[0] - first) <= tol) || !(Math.abs((double) pair[2] - second) <= tol2)) {
            throw new AssertionError(what + ": dotQuantized2 gave " + pair[0] + ", " + pair[2] + " but dotQuantized "
                    + first + ", " + second);
        }
        // four rows, this one and the other taking turns, (bytes + 7) apart; outputs two apart after a gap of one
        long stride = bytes + 7;
        MemorySegment four = NativeSegments.zeroed((int) (offset + 4 * stride));
        for (int i = 0; i < 4; i++) {
            MemorySegment.copy(i % 2 == 0 ? src : other, i % 2 == 0 ? offset : otherOffset, four, offset + i * stride,
                    bytes);
        }
        float[] quad = new float[9];
        k.dotQuantized4(four, offset, stride, a, 1, n, quad, 1, 2);
        for (int i = 0; i < 4; i++) {
            float expect = i % 2 == 0 ? first : second;
            double bound = i % 2 == 0 ? tol : tol2;
            if (!(Math.abs((double) quad[1 + 2 * i] - expect) <= bound)) {
                throw new AssertionError(what + ": dotQuantized4 row " + i + " gave " + quad[1 + 2 * i]
                        + " but dotQuantized " + expect);
            }
        }
        for (int j = 0; j < quad.length; j += 2) {
            if (quad[j] != 0f) {
                throw new AssertionError(what + ": dotQuantized4 wrote out[" + j + "]");
            }
        }
    }

    /** Σ(|w_i|+|o_i|)·|x_i| of a row against row 1 of {@code a}, x being the dequantized activations. */
    private static double magnitude(GgmlType t, MemorySegment src, long offset, QuantizedActivations a, int n) {
        float[] w = new float[n];
        QuantFixtures.kernel(t).dequantize(src, offset, w, 0, n);
        float[] o = offsets(t, src, offset, n);
        float[] x = a.dequantizedValues();
        double m = 0;
        for (int i = 0; i < n; i++) {
            m += (Math.abs((double) w[i]) + Math.abs((double) o[i])) * Math.abs((double) x[a.offset(1) + i]) * 1.01;
        }
        if (a.type() == ActivationType.Q8_1) {
            for (int b = 0; b < n / 32; b++) {
                m += Math.abs(o[32 * b]) * Math.abs(a.blockSum(1, b));
            }
        }
        return m;
    }

    /**
     * One-hot activations make every block sum a single product plus exact zeros, so the vector kernel must give
     * the scalar reference's value bit for bit: this pins the in-register decoding of every level and scale
     * against the quantized activations.
     */
    static void quantizedOneHot(GgmlType t) {
        QuantKernel k = QuantFixtures.kernel(t);
        ActivationType at = k.activationType();
        if (at == ActivationType.F32) {
            return;
        }
        SplittableRandom rnd = new SplittableRandom(71 + t.ordinal());
        int n = 2 * Math.max(t.blockSize(), 64);
        QuantizedActivations a = new QuantizedActivations(at, 2, n);
        float[] x = new float[2 * n];
        try (Arena arena = Arena.ofConfined()) {
            for (int rep = 0; rep < 3; rep++) {
                MemorySegment seg = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), 5);
                for (int i = 0; i < n; i++) {
                    java.util.Arrays.fill(x, 0f);
                    x[n + i] = rep == 1 ? -3f : 1f;
                    a.quantize(x, n, 2, n);
                    float v = k.dotQuantized(seg, 5, a, 1, n);
                    float s = k.dotQuantizedScalar(seg, 5, a, 1, n);
                    if (v != s) {
                        throw new AssertionError(t + " element " + i + " of " + n + ": one-hot dotQuantized " + v
                                + " != dotQuantizedScalar " + s);
                    }
                }
            }
        }
    }

    /** dequantizeVector against dequantize, bit for bit, on random raw blocks (every bit pattern, edge scales). */
    static void dequantizeVector(GgmlType t) {
        SplittableRandom rnd = new SplittableRandom(83 + t.ordinal());
        QuantKernel k = QuantFixtures.kernel(t);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                for (long offset : new long[] {0, 5}) {
                    MemorySegment seg = QuantFixtures.randomBlocks(arena, rnd, t, n / t.blockSize(), offset);
                    float[] expected = new float[n + 3];
                    float[] actual = new float[n + 3];
                    k.dequantize(seg, offset, expected, 3, n);
                    k.dequantizeVector(seg, offset, actual, 3, n);
                    for (int i = 3; i < n + 3; i++) {
                        if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])
                                && !(Float.isNaN(expected[i]) && Float.isNaN(actual[i]))) {
                            throw new AssertionError(t + " n=" + n + " offset=" + offset + " element " + (i - 3)
                                    + ": dequantizeVector " + actual[i] + " != dequantize " + expected[i]);
                        }
                    }
                }
            }
        }
    }

    static Path referenceFile(GgmlType t) {
        Path p = QuantFixtures.quantVectors(QuantFixtures.fileName(t) + ".gguf");
        return Files.isRegularFile(p) ? p : null;
    }
}
