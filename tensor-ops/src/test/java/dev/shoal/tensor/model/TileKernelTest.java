package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The prefill micro-kernels ({@link Ops#dot4x2}, {@link Ops#dot4x4}, and {@link Ops#dot4}, and the row interleaving
 * {@link Ops#interleave4} that feeds the panels) on every vector width
 * this JVM picks give, for each of four rows and each input, the row's dot product with the input, whatever the
 * length (vector loop and scalar tail) and wherever rows and inputs start in their arrays; nothing else in the
 * output is written. {@link MatrixBatchTest} covers the tiled path on the preferred width only, which takes 4×4
 * on 512-bit vectors and pairs on narrower ones.
 */
class TileKernelTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 40, 100, 2048 + 24})
    void everyTileKernelShouldGiveEachRowsDotWithEachInput(int cols) {
        SplittableRandom rnd = new SplittableRandom(cols);
        int wStride = cols + 3;
        int xStride = cols + 5;
        int wOff = 2;
        int xOff = 1;
        float[] w = random(rnd, wOff + 4 * wStride);
        float[] x = random(rnd, xOff + 4 * xStride);
        for (int inputs : new int[] {1, 2, 4}) {
            int outStride = 9;
            float[] out = new float[3 + inputs * outStride];
            java.util.Arrays.fill(out, Float.NaN);
            switch (inputs) {
                case 1 -> Ops.dot4(w, wOff, wStride, x, xOff, cols, out, 3);
                case 2 -> Ops.dot4x2(w, wOff, wStride, x, xOff, xOff + xStride, cols, out, 3, 3 + outStride);
                default -> Ops.dot4x4(w, wOff, wStride, x, xOff, xStride, cols, out, 3, outStride);
            }
            for (int i = 0; i < out.length; i++) {
                int j = (i - 3) / outStride;
                int r = (i - 3) % outStride;
                if (i < 3 || r >= 4 || j >= inputs) {
                    assertTrue(Float.isNaN(out[i]), "4x" + inputs + " wrote outside its outputs at " + i);
                    continue;
                }
                double ref = 0;
                double magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) w[wOff + r * wStride + c] * x[xOff + j * xStride + c];
                    ref += p;
                    magnitude += Math.abs(p);
                }
                assertTrue(Math.abs(out[i] - ref) <= 1e-5 * magnitude + 1e-30,
                        "4x" + inputs + " cols " + cols + " row " + r + " input " + j + ": " + out[i] + " vs " + ref);
            }
        }
    }

    /** Each output is one accumulator per lane over the same columns in the same order, whichever kernel runs. */
    @ParameterizedTest
    @ValueSource(ints = {16, 40, 2048 + 24})
    void theKernelsShouldAgreeToTheBit(int cols) {
        SplittableRandom rnd = new SplittableRandom(cols * 7L);
        float[] w = random(rnd, 4 * cols);
        float[] x = random(rnd, 4 * cols);
        float[] two = new float[16];
        float[] four = new float[16];
        Ops.dot4x2(w, 0, cols, x, 0, cols, cols, two, 0, 4);
        Ops.dot4x2(w, 0, cols, x, 2 * cols, 3 * cols, cols, two, 8, 12);
        Ops.dot4x4(w, 0, cols, x, 0, cols, cols, four, 0, 4);
        org.junit.jupiter.api.Assertions.assertArrayEquals(two, four);
    }

    /** Four rows a stride apart come out column by column, row 0 first, in the vector part and the scalar tail. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 21, 2048 + 24})
    void interleave4ShouldLayTheFourRowsColumnByColumn(int cols) {
        SplittableRandom rnd = new SplittableRandom(cols * 11L);
        int wStride = cols + 3;
        int wOff = 5;
        float[] w = random(rnd, wOff + 4 * wStride);
        float[] w4 = new float[4 * cols + 4];
        java.util.Arrays.fill(w4, Float.NaN);
        Ops.interleave4(w, wOff, wStride, cols, w4);
        for (int k = 0; k < cols; k++) {
            for (int r = 0; r < 4; r++) {
                org.junit.jupiter.api.Assertions.assertEquals(w[wOff + r * wStride + k], w4[4 * k + r],
                        "column " + k + " row " + r);
            }
        }
        for (int i = 4 * cols; i < w4.length; i++) {
            assertTrue(Float.isNaN(w4[i]), "wrote past the four rows at " + i);
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
