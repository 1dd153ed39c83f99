package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.NativeSegments;
import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Matrix#multiplyBatch(QuantizedActivations, float[], int, int, int, int)} on every path: one input (rows in
 * pairs from the two halves of the range, odd counts leave one), a few inputs (a dot per row and input), many
 * inputs (decoded tiles of 16 rows, four rows and four inputs at a time on 512-bit vectors, then pairs and single
 * inputs, with leftover rows; from 12 inputs on narrower vectors, panels of inputs laid out column-major, the last
 * one part-filled at 12, 17 and 33 inputs, each as one prefill thread takes it (rows interleaved four by four, and
 * for Q4_0 and Q4_K on 256-bit vectors the panels in 16-bit integers) and as one of several (rows where they lie,
 * floats); Q4_1/Q5_1,
 * whose Q8_1 activations carry a rounded block sum, stay on per-row dots), over row
 * ranges that start and end anywhere, and with float32 and quantized activations; and the same for Q4_0 and Q4_K repacked
 * eight rows at a time ({@link Matrix#interleave}), whose rows must also not depend on where a range was cut. Every output must match the
 * scalar reference dot of its row and input within float-summation rounding, and rows outside the range must be
 * left alone.
 */
class MatrixBatchTest {

    private static final int ROWS = 37;

    @ParameterizedTest(name = "{0} cols={1} {2} interleaved={3}")
    @CsvSource({"Q8_0, 160, QUANTIZED, false", "Q4_0, 96, QUANTIZED, false", "Q4_1, 64, QUANTIZED, false",
        "Q5_0, 64, QUANTIZED, false", "Q5_1, 96, QUANTIZED, false", "Q4_K, 512, QUANTIZED, false",
        "Q5_K, 256, QUANTIZED, false", "Q6_K, 512, QUANTIZED, false", "F16, 72, QUANTIZED, false",
        "BF16, 40, QUANTIZED, false", "F32, 24, QUANTIZED, false", "Q8_0, 160, F32, false", "Q4_K, 256, F32, false",
        "Q4_0, 96, QUANTIZED, true", "Q4_0, 160, F32, true", "Q4_K, 512, QUANTIZED, true", "Q4_K, 256, F32, true"})
    void everyPathShouldMatchTheScalarReference(GgmlType type, int cols, ActivationMode mode, boolean interleave) {
        QuantKernel k = QuantKernels.forType(type, "test");
        SplittableRandom rnd = new SplittableRandom(type.ordinal() * 31L + cols);
        long rowBytes = type.bytesFor(cols);
        MemorySegment data = NativeSegments.zeroed((int) (rowBytes * ROWS));
        for (int r = 0; r < ROWS; r++) {
            k.quantize(gaussian(rnd, cols), 0, cols, data, r * rowBytes);
        }
        Matrix m = new Matrix("test", k, data, rowBytes, 0, ROWS, 0, cols);
        if (interleave) {
            m = m.interleave(java.lang.foreign.Arena.ofAuto());
            assertEquals(dev.shoal.tensor.quant.RowGroups.supported(), m.interleaved());
        }
        ActivationType at = mode == ActivationMode.F32 ? ActivationType.F32 : k.activationType();
        for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 16, 17, 33}) {
            float[] x = gaussian(rnd, n * cols);
            QuantizedActivations a = new QuantizedActivations(at, n, cols);
            a.quantize(x, cols, n, cols);
            // as one thread runs it (the 16-bit integer panels where they apply, float panels over interleaved
            // rows) and as a thread among several (float panels over the rows where they lie)
            for (boolean oneThread : new boolean[] {true, false}) {
                for (int[] range : new int[][] {{0, ROWS}, {3, 30}, {5, 6}, {0, 16}}) {
                    float[] out = new float[n * ROWS];
                    java.util.Arrays.fill(out, Float.NaN);
                    m.multiplyBatch(a, out, ROWS, n, range[0], range[1], oneThread);
                    if (m.readsPanels(at, n, oneThread)) {
                        // inputs laid out once by the caller for every thread: the same products, bit for bit
                        float[] laid = new float[Matrix.panelFloats(n, cols)];
                        Ops.transposeInputs(a.dequantizedValues(), a.offset(0), n > 1 ? a.offset(1) - a.offset(0) : 0,
                                n, cols, laid);
                        float[] shared = new float[n * ROWS];
                        java.util.Arrays.fill(shared, Float.NaN);
                        m.multiplyBatch(a, shared, ROWS, n, range[0], range[1], oneThread, laid);
                        for (int i = 0; i < out.length; i++) {
                            assertEquals(Float.floatToIntBits(out[i]), Float.floatToIntBits(shared[i]),
                                    type + " n=" + n + " rows " + range[0] + ".." + range[1]
                                            + " laid out by the caller, at " + i);
                        }
                    }
                    for (int b = 0; b < n; b++) {
                        for (int r = 0; r < ROWS; r++) {
                            float got = out[b * ROWS + r];
                            String at2 = type + (oneThread ? "" : " (as one of several threads)") + " n=" + n + " rows " + range[0]
                                    + ".." + range[1] + " input " + b + " row " + r;
                            if (r < range[0] || r >= range[1]) {
                                assertTrue(Float.isNaN(got), at2 + ": outside the range, written " + got);
                                continue;
                            }
                            double[] ref = reference(k, data, r * rowBytes, a, b, cols);
                            if (m.interleaved() && mode == ActivationMode.QUANTIZED && n < Matrix.TILE_FROM_BATCH) {
                                // one row, one float, however the range is cut (a promise of the repacked layouts; plain
                                // rows, as on 512-bit vectors where nothing is repacked, may take another kernel path)
                                float[] whole = new float[n * ROWS];
                                m.multiplyBatch(a, whole, ROWS, n, 0, ROWS);
                                assertEquals(Float.floatToIntBits(whole[b * ROWS + r]), Float.floatToIntBits(got), at2);
                            }
                            assertTrue(Math.abs(got - ref[0]) <= 1e-5 * ref[1] + 1e-30,
                                    at2 + ": " + got + " vs reference " + ref[0]);
                        }
                    }
                }
            }
        }
    }

    /**
     * The largest block sums the 16-bit prefill of Q4_0 ({@code Q4_0Panels}, AVX2) can meet: every weight level −8
     * and every activation level ±127, so each 16-bit lane sums 16 products of 1016 (16256) and a block 32512. A
     * wrapped lane would be off by 65536 levels; every output must match the scalar reference.
     */
    @ParameterizedTest(name = "interleaved={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void q4_0PrefillShouldHoldTheLargestBlockSums(boolean interleave) {
        QuantKernel k = QuantKernels.forType(GgmlType.Q4_0, "test");
        int cols = 256;
        long rowBytes = GgmlType.Q4_0.bytesFor(cols);
        MemorySegment data = NativeSegments.zeroed((int) (rowBytes * ROWS));
        float[] row = new float[cols];
        for (int r = 0; r < ROWS; r++) {
            java.util.Arrays.fill(row, r % 2 == 0 ? -1f : 3f);
            k.quantize(row, 0, cols, data, r * rowBytes);
        }
        Matrix m = new Matrix("test", k, data, rowBytes, 0, ROWS, 0, cols);
        if (interleave) {
            m = m.interleave(java.lang.foreign.Arena.ofAuto());
        }
        int n = 33;
        float[] x = new float[n * cols];
        for (int b = 0; b < n; b++) {
            java.util.Arrays.fill(x, b * cols, (b + 1) * cols, b % 3 == 0 ? 2f : -0.5f);
        }
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, n, cols);
        a.quantize(x, cols, n, cols);
        float[] out = new float[n * ROWS];
        m.multiplyBatch(a, out, ROWS, n, 0, ROWS);
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < ROWS; r++) {
                double[] ref = reference(k, data, r * rowBytes, a, b, cols);
                float got = out[b * ROWS + r];
                assertTrue(Math.abs(got - ref[0]) <= 1e-5 * ref[1], "input " + b + " row " + r + ": " + got
                        + " vs reference " + ref[0]);
                assertEquals(Math.abs(ref[0]), ref[1], 1e-3 * ref[1], "every product of one sign, at full scale");
            }
        }
    }

    /**
     * A prompt's products do not depend on how warm the JIT is: rows a tile leaves over (here 27 rows from row 3:
     * a tile of 16 and one of 11) went through per-row dots whose float reduction the interpreter sums in lane
     * order and C2 as a tree, so the first calls and the later ones differed in the last bits. Now every row of a
     * panelled product takes the panels; 300 calls (the compiled code arrives after about 50) give the first call's
     * bits. Only where the panels run (AVX2 and narrower).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q8_0, 160", "Q4_0, 96", "Q4_K, 256", "F16, 72"})
    void panelledPrefillShouldGiveTheSameBitsColdAndCompiled(GgmlType type, int cols) {
        QuantKernel k = QuantKernels.forType(type, "test");
        SplittableRandom rnd = new SplittableRandom(5);
        long rowBytes = type.bytesFor(cols);
        MemorySegment data = NativeSegments.zeroed((int) (rowBytes * ROWS));
        for (int r = 0; r < ROWS; r++) {
            k.quantize(gaussian(rnd, cols), 0, cols, data, r * rowBytes);
        }
        Matrix m = new Matrix("test", k, data, rowBytes, 0, ROWS, 0, cols);
        int n = 33;
        QuantizedActivations a = new QuantizedActivations(k.activationType(), n, cols);
        a.quantize(gaussian(rnd, n * cols), cols, n, cols);
        if (!m.readsPanels(a.type(), n, false)) {
            return;
        }
        float[] first = new float[n * ROWS];
        m.multiplyBatch(a, first, ROWS, n, 3, 30, false);
        float[] out = new float[n * ROWS];
        for (int call = 1; call < 300; call++) {
            m.multiplyBatch(a, out, ROWS, n, 3, 30, false);
            for (int i = 0; i < out.length; i++) {
                assertEquals(Float.floatToIntBits(first[i]), Float.floatToIntBits(out[i]),
                        type + " call " + call + " at " + i);
            }
        }
    }

    @Test
    void tiledPathShouldStartAtTheBatchSizeItIsDocumentedFor() {
        assertEquals(4, Matrix.TILE_FROM_BATCH);
    }

    /** {dot, Σ|w·x|}: the scalar reference dot for the activations' form, and the magnitude its rounding scales with. */
    private static double[] reference(QuantKernel k, MemorySegment data, long off, QuantizedActivations a, int b, int n) {
        float[] w = new float[n];
        k.dequantize(data, off, w, 0, n);
        double magnitude = 0;
        float[] x = a.dequantizedValues();
        for (int i = 0; i < n; i++) {
            magnitude += Math.abs((double) w[i] * x[a.offset(b) + i]);
        }
        float dot = a.type() == ActivationType.F32
                ? k.dotScalar(data, off, a.values(), a.offset(b), n)
                : k.dotQuantizedScalar(data, off, a, b, n);
        return new double[] {dot, magnitude};
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * 0.5);
        }
        return v;
    }
}
