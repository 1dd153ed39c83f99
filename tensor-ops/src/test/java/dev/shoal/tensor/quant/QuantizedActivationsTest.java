package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The activation quantizers reproduce llama.cpp's x86 rounding rules, scales and block sums. */
class QuantizedActivationsTest {

    @Test
    void q8_0ShouldRoundHalfToEvenWithTheF16ScaleOfAmaxOver127() {
        // amax 127: id = 127/amax = 1, so the levels are x rounded half to even, and d = 1 exactly
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = 3.5f;
        x[3] = -2.5f;
        x[4] = -0.5f;
        x[5] = 0.49f;
        x[6] = -127f;
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, 1, 32);
        a.quantize(x, 32, 1, 32);
        float[] q = a.values();
        assertEquals(1f, a.scale(0, 0));
        float[] expected = {127, 2, 4, -2, -0f, 0, -127};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], q[i], "level " + i);
        }
    }

    @Test
    void q8_0ShouldHoldEveryRowsLevelsAsShortsAndAsEvenOddPairsAtTheSameOffsets() {
        final int rows = 3;
        final int cols = 96;
        final float[] x = new float[rows * cols];
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        final QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, 4, cols);
        a.quantize(x, cols, rows, cols);
        final float[] q = a.values();
        final short[] natural = a.shortLevelArray();
        final short[] pairs = a.pairLevelArray();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                final int at = a.offset(r) + i;
                assertEquals((int) q[at], natural[at], "row " + r + " level " + i + " as a short");
                final int block = a.offset(r) + 32 * (i / 32);
                final int k = i % 32;
                assertEquals((int) q[at], pairs[block + (k >> 1) + 16 * (k & 1)],
                        "row " + r + " level " + i + " paired");
            }
        }
    }

    @Test
    void q8_0ShouldStoreItsScaleRoundedToF16AndUse127OverAmaxNotItsReciprocal() {
        float[] x = new float[32];
        x[0] = 1f;
        x[1] = 0.3f;
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, 1, 32);
        a.quantize(x, 32, 1, 32);
        float d = 1f / 127f;
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(d)), a.scale(0, 0));
        assertEquals((float) Math.rint(0.3f * 127f), a.values()[1]);
        assertEquals(a.values()[1] * a.scale(0, 0), a.dequantizedValues()[1]);
    }

    @Test
    void q8_1ShouldCarryTheF16RoundedBlockSumOfTheUnroundedScale() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = QuantFixtures.gaussian(rnd, 64, 2.0);
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_1, 1, 64);
        a.quantize(x, 64, 1, 64);
        for (int b = 0; b < 2; b++) {
            float amax = 0;
            int sum = 0;
            for (int i = 32 * b; i < 32 * b + 32; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                sum += (int) a.values()[i];
            }
            float d = amax / 127f;
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(d * sum)), a.blockSum(0, b), "block " + b);
        }
    }

    @Test
    void q8_KShouldScaleByTheFirstLargestMagnitudeKeepingItsSignAndSumEach16Levels() {
        float[] x = new float[256];
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < 256; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        x[40] = -3f;
        x[41] = 3f; // same magnitude later: the first one wins, so iscale = -127/-3
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_K, 1, 256);
        a.quantize(x, 256, 1, 256);
        float iscale = -127f / -3f;
        assertEquals(1f / iscale, a.scale(0, 0));
        assertEquals(-127f, a.values()[40]);
        assertEquals(127f, a.values()[41]);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 16 * g; i < 16 * g + 16; i++) {
                float q = a.values()[i];
                assertEquals(Math.min(127f, (float) Math.rint(iscale * x[i])), q, "level " + i);
                sum += (int) q;
            }
            assertEquals(sum, a.groupSum(0, 0, g), "sum of group " + g);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ActivationType.class, names = {"Q8_0", "Q8_1", "Q8_K"})
    void allZeroBlocksShouldGiveZeroLevelsScalesAndSums(ActivationType t) {
        QuantizedActivations a = new QuantizedActivations(t, 2, 256);
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = QuantFixtures.gaussian(rnd, 512, 1.0);
        a.quantize(x, 256, 2, 256); // dirty the buffers first
        java.util.Arrays.fill(x, 256, 512, 0f);
        a.quantize(x, 256, 2, 256);
        for (int i = 0; i < 256; i++) {
            assertEquals(0f, a.values()[a.offset(1) + i]);
            assertEquals(0f, a.dequantizedValues()[a.offset(1) + i]);
        }
        assertEquals(0f, a.scale(1, 0));
        if (t == ActivationType.Q8_K) {
            assertEquals(0, a.groupSum(1, 0, 3));
        }
        if (t == ActivationType.Q8_1) {
            assertEquals(0f, a.blockSum(1, 2));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ActivationType.class, names = {"Q8_0", "Q8_1", "Q8_K"})
    void levelsShouldReconstructTheInputWithinHalfAStep(ActivationType t) {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 512;
        float[] x = QuantFixtures.gaussian(rnd, 3 * n, 1.0);
        QuantizedActivations a = new QuantizedActivations(t, 3, n);
        a.quantize(x, n, 3, n);
        int bs = t.blockSize();
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < n; i++) {
                float q = a.values()[a.offset(b) + i];
                float d = a.scale(b, i / bs);
                assertTrue(Math.abs(q) <= 127 && q == Math.rint(q), "level " + q);
                // half a step, plus f16 rounding of d (2^-11 relative) over up to 127 steps
                double bound = Math.abs(d) * (0.5 + 127 * 0x1p-11) + 1e-7;
                assertTrue(Math.abs(q * d - x[b * n + i]) <= bound, t + " row " + b + " element " + i);
            }
        }
    }

    @Test
    void f32ShouldHandOverTheCallersArrayUncopied() {
        float[] x = new float[64];
        QuantizedActivations a = new QuantizedActivations(ActivationType.F32, 2, 32);
        a.quantize(x, 32, 2, 32);
        assertSame(x, a.values());
        assertEquals(32, a.offset(1));
    }

    @Test
    void shouldRefuseRowsThatAreNoWholeNumberOfBlocksOrTooMany() {
        assertThrows(IllegalArgumentException.class, () -> new QuantizedActivations(ActivationType.Q8_K, 1, 300));
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, 1, 64);
        assertThrows(IllegalArgumentException.class, () -> a.quantize(new float[128], 64, 2, 64));
        assertThrows(IllegalArgumentException.class, () -> a.quantize(new float[64], 64, 1, 48));
    }
}
