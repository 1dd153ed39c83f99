package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** quantize: agreement with llama-quantize, and error bounds that follow from each block format. */
class QuantizeRoundTripTest {

    static final java.util.List<GgmlType> TYPES = QuantFixtures.TYPES;

    private static final double F16_REL = 0x1p-11;
    private static final double F16_SUBNORMAL_HALF_STEP = 0x1p-25;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void shouldWriteTheBlocksLlamaQuantizeWroteFromTheSameF32Weights(GgmlType type) throws Exception {
        try (GgufFile base = GgufFile.open(SharedModels.require("quant-vectors/quant-base-f32.gguf"));
             GgufFile ref = GgufFile.open(SharedModels.require("quant-vectors/" + QuantFixtures.fileName(type) + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            QuantKernel k = QuantFixtures.kernel(type);
            for (String[] t : QuantFixtures.TENSORS) {
                QuantFixtures.Matrix src = QuantFixtures.Matrix.of(base, t[0]);
                QuantFixtures.Matrix expected = QuantFixtures.Matrix.of(ref, t[0]);
                float[] w = src.dequantizeRows();
                MemorySegment out = arena.allocate(expected.data().byteSize());
                for (int r = 0; r < src.rows(); r++) {
                    k.quantize(w, r * src.rowLength(), src.rowLength(), out, r * expected.rowBytes());
                }
                long at = out.mismatch(expected.data());
                if (at >= 0) {
                    fail(t[0] + ": bytes differ from llama-quantize's from byte " + at + " (block "
                            + at / type.bytesPerBlock() + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void shouldKeepTheRoundTripErrorOfRandomRowsWithinTheFormatsBound(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(7 + type.ordinal());
        int n = 256 * 48;
        QuantKernel k = QuantFixtures.kernel(type);
        try (Arena arena = Arena.ofConfined()) {
            for (int kind = 0; kind < 6; kind++) {
                float[] x = row(rnd, kind, n);
                MemorySegment seg = arena.allocate(type.bytesFor(n) + 5);
                k.quantize(x, 0, n, seg, 5);
                float[] y = new float[n];
                k.dequantize(seg, 5, y, 0, n);
                int bs = Math.max(type.blockSize(), 1);
                for (int b = 0; b < n / bs; b++) {
                    for (int i = b * bs; i < (b + 1) * bs; i++) {
                        double bound = bound(type, x, b * bs, bs, i);
                        if (!(Math.abs((double) y[i] - x[i]) <= bound)) {
                            fail(type + " row kind " + kind + " element " + i + ": " + x[i] + " came back as " + y[i]
                                    + ", bound " + bound);
                        }
                    }
                }
            }
        }
    }

    /** Rows: N(0,1); N(0,1e-3) (f16 scales go subnormal); heavy tails; uniform; all positive; zeros. */
    private static float[] row(SplittableRandom rnd, int kind, int n) {
        float[] x = QuantFixtures.gaussian(rnd, n, kind == 1 ? 1e-3 : 1.0);
        for (int i = 0; i < n; i++) {
            switch (kind) {
                case 2 -> x[i] = (float) (x[i] / Math.max(0.05, Math.abs(QuantFixtures.gauss(rnd))));
                case 3 -> x[i] = (float) (rnd.nextDouble() * 2 - 1);
                case 4 -> x[i] = Math.abs(x[i]) + 0.5f;
                case 5 -> x[i] = 0f;
                default -> { }
            }
        }
        return x;
    }

    private static double f16Error(double v) {
        return Math.max(Math.abs(v) * F16_REL, F16_SUBNORMAL_HALF_STEP);
    }

    /**
     * The largest error the format allows for element {@code i} of the block {@code x[from..from+len)}.
     * Legacy types: half a level step (a full step at the one clamped end of the symmetric types), plus the f16
     * rounding of d (times the largest level) and of m. K-quants: the sub-block scales are themselves 6/8-bit
     * quantized against the super-block's largest, which can clip a sub-block by a fraction of a step, so the bound
     * is one step of the coarsest grid that spans the super-block.
     */
    private static double bound(GgmlType type, float[] x, int from, int len, int i) {
        double max = -Double.MAX_VALUE;
        double min = Double.MAX_VALUE;
        double amax = 0;
        for (int j = from; j < from + len; j++) {
            max = Math.max(max, x[j]);
            min = Math.min(min, x[j]);
            amax = Math.max(amax, Math.abs(x[j]));
        }
        double eps = 1e-6 * amax;
        return switch (type) {
            case F16 -> f16Error(x[i]);
            case BF16 -> Math.abs(x[i]) * 0x1p-8;
            case Q8_0 -> amax / 127 / 2 + 127 * f16Error(amax / 127) + eps;
            case Q4_0 -> amax / 8 + 8 * f16Error(amax / 8) + eps;
            case Q5_0 -> amax / 16 + 16 * f16Error(amax / 16) + eps;
            case Q4_1 -> (max - min) / 15 / 2 + 15 * f16Error((max - min) / 15) + f16Error(min) + eps;
            case Q5_1 -> (max - min) / 31 / 2 + 31 * f16Error((max - min) / 31) + f16Error(min) + eps;
            case Q4_K -> kQuantBound(max - Math.min(0, min), -Math.min(0, min), 15) + eps;
            case Q5_K -> kQuantBound(max - Math.min(0, min), -Math.min(0, min), 31) + eps;
            case Q6_K -> amax / 32 + 128 * 32 * f16Error(amax / 32 / 128) + eps;
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    /** One step of range/nmax, plus the f16 rounding of d = maxScale/63 and dmin = maxMin/63 times 63*nmax and 63. */
    private static double kQuantBound(double range, double negMin, int nmax) {
        return range / nmax + 63 * nmax * f16Error(range / nmax / 63) + 63 * f16Error(negMin / 63);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void shouldRequantizeLlamaCppsDequantizedValuesToNearlyTheSameValues(GgmlType type) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("quant-vectors/" + QuantFixtures.fileName(type) + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            QuantKernel k = QuantFixtures.kernel(type);
            for (String[] t : QuantFixtures.TENSORS) {
                QuantFixtures.Matrix m = QuantFixtures.Matrix.of(f, t[0]);
                float[] v = m.dequantizeRows();
                MemorySegment again = arena.allocate(m.data().byteSize());
                k.quantize(v, 0, v.length, again, 0);
                float[] back = new float[v.length];
                k.dequantize(again, 0, back, 0, v.length);
                int same = 0;
                int bs = type.blockSize();
                for (int i = 0; i < v.length; i++) {
                    double tol = bound(type, v, i / bs * bs, bs, i);
                    assertTrue(Math.abs(back[i] - v[i]) <= tol, t[0] + " element " + i + ": " + v[i] + " -> " + back[i]);
                    same += back[i] == v[i] ? 1 : 0;
                }
                // The legacy formats put the block's extreme value on an end level (d = max/-8, or min and max
                // on levels 0 and nmax), so requantizing finds the same grid; K-quants refit their sub-block scales
                // from slightly different data and keep nearly all levels (98-100% on these tensors).
                double minSame = type.blockSize() == 256 ? 0.95 : 1.0;
                assertTrue(same >= minSame * v.length, t[0] + ": only " + same + " of " + v.length + " values came back exactly");
            }
        }
    }

    @Test
    void shouldQuantizeZerosToZeroBlocksThatDequantizeToZeros() {
        try (Arena arena = Arena.ofConfined()) {
            for (GgmlType type : TYPES) {
                int n = 512;
                MemorySegment seg = arena.allocate(type.bytesFor(n));
                seg.fill((byte) 0x5A);
                QuantFixtures.kernel(type).quantize(new float[n], 0, n, seg, 0);
                float[] y = new float[n];
                Arrays.fill(y, Float.NaN);
                QuantFixtures.kernel(type).dequantize(seg, 0, y, 0, n);
                for (float v : y) {
                    assertEquals(0f, v, 0f, type.name());
                }
            }
        }
    }

    @Test
    void shouldNameTheTensorAndTypeWhenATypeHasNoKernels() {
        UnsupportedTensorTypeException e = assertThrows(UnsupportedTensorTypeException.class,
                () -> QuantKernels.forType(GgmlType.Q2_K, "blk.0.attn_q.weight"));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("Q2_K"), e.getMessage());
        for (GgmlType t : GgmlType.values()) {
            assertEquals(t.supported(), QuantKernels.has(t), t + ": GgmlType.supported() and the registry disagree");
        }
    }
}
