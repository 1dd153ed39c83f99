package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The vectorized quantizers give every layout bit for bit as the scalar reference does (floats compared by their
 * bits, so −0.0 against 0.0 counts; NaNs as one), over inputs that reach the rounding's edges: exact halves,
 * signed zeros, subnormals, magnitudes from 1e-30 to 1e30, infinities and NaNs, blocks of zeros, rows with and
 * without broadcast pairs, an odd number of Q8_0 blocks.
 */
class ActivationQuantizerTest {

    private static final int ROWS = QuantizedActivations.BROADCAST_ROWS + 2;

    @ParameterizedTest
    @EnumSource(value = ActivationType.class, names = {"Q8_0", "Q8_1", "Q8_K"})
    void vectorQuantizerShouldMatchTheScalarReferenceInEveryLayout(ActivationType t) {
        final SplittableRandom rnd = new SplittableRandom(11);
        // 7 Q8_0 blocks (the last unpaired) or 2 Q8_K blocks per row
        final int n = t == ActivationType.Q8_K ? 512 : 224;
        for (int trial = 0; trial < 200; trial++) {
            final float[] x = new float[ROWS * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = sample(rnd, trial);
            }
            if (trial % 7 == 3) {
                java.util.Arrays.fill(x, n, n + t.blockSize(), trial % 2 == 0 ? 0f : -0f);
            }
            final QuantizedActivations vector = new QuantizedActivations(t, ROWS, n);
            final QuantizedActivations scalar = new QuantizedActivations(t, ROWS, n);
            vector.quantize(x, n, ROWS, n);
            for (int b = 0; b < ROWS; b++) {
                ScalarActivationQuantizer.quantize(t, x, b * n, n, scalar, b);
            }
            final String at = t + " trial " + trial;
            assertArrayEquals(scalar.levelArray(), vector.levelArray(), at + ": levels");
            assertArrayEquals(scalar.dequantizedArray(), vector.dequantizedArray(), at + ": dequantized");
            assertArrayEquals(scalar.scaleArray(), vector.scaleArray(), at + ": scales");
            if (scalar.sumArray() != null) {
                assertArrayEquals(scalar.sumArray(), vector.sumArray(), at + ": sums");
            }
            if (scalar.subBlockSumArray() != null) {
                assertArrayEquals(scalar.subBlockSumArray(), vector.subBlockSumArray(), at + ": sub-block sums");
            }
            if (scalar.pairLevelArray() != null) {
                assertArrayEquals(scalar.pairLevelArray(), vector.pairLevelArray(), at + ": pairs");
            }
            if (scalar.shortLevelArray() != null) {
                assertArrayEquals(scalar.shortLevelArray(), vector.shortLevelArray(), at + ": shorts");
                assertArrayEquals(scalar.blockPairLevelArray(), vector.blockPairLevelArray(), at + ": block pairs");
                assertArrayEquals(scalar.nibbleOffsetArray(), vector.nibbleOffsetArray(), at + ": offsets");
            }
            if (scalar.broadcastPairArray() != null) {
                assertArrayEquals(scalar.broadcastPairArray(), vector.broadcastPairArray(), at + ": broadcast");
            }
            if (scalar.blockOffsetArray() != null) {
                assertArrayEquals(scalar.blockOffsetArray(), vector.blockOffsetArray(), at + ": block offsets");
            }
        }
    }

    /**
     * The element-by-element layouts (what vectors of other widths than eight lanes write) equal the eight-lane
     * permutations, for Q8_0's full set (paired and unpaired quarters) and Q8_K's pairs, with and without broadcast
     * pairs, over levels from −127 to 127. On a machine whose vectors are not eight floats wide the quantizer test
     * above covers {@code permuteEach} instead, and this one {@code permute8} at 256 bits.
     */
    @Test
    void elementByElementLayoutsShouldEqualTheEightLanePermutations() {
        final SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 500; trial++) {
            final int[] s = new int[32];
            for (int i = 0; i < 32; i++) {
                s[i] = rnd.nextInt(-127, 128);
            }
            final boolean full = trial % 2 == 0;
            final boolean broadcast = trial % 3 != 0;
            final int quarterStride = trial % 4 < 2 ? 16 : 8;
            final short[][] a = new short[4][96];
            final short[][] b = new short[4][96];
            final int[] bpA = new int[48];
            final int[] bpB = new int[48];
            ActivationQuantizer.permute8(s, full ? a[0] : null, a[1], full ? a[2] : null, full ? a[3] : null, 32,
                    8, quarterStride, broadcast ? bpA : null, 16);
            ActivationQuantizer.permuteEach(s, full ? b[0] : null, b[1], full ? b[2] : null, full ? b[3] : null, 32,
                    8, quarterStride, broadcast ? bpB : null, 16);
            for (int k = 0; k < 4; k++) {
                assertArrayEquals(a[k], b[k], "trial " + trial + ", layout " + k);
            }
            assertArrayEquals(bpA, bpB, "trial " + trial + ", broadcast pairs");
        }
    }

    /**
     * Mostly gaussians of one scale per trial; some exact halves of a 127-step grid (amax 127, so x·127/amax is x
     * and the rounding meets its ties), signed zeros, subnormals, and in a few trials infinities and NaNs.
     */
    private static float sample(SplittableRandom rnd, int trial) {
        final int kind = rnd.nextInt(20);
        final double scale = Math.pow(10, (trial % 13) * 5 - 30);
        return switch (kind) {
            case 0 -> 127f;
            case 1 -> -127f;
            case 2 -> rnd.nextInt(-254, 255) / 2f;
            case 3 -> rnd.nextBoolean() ? 0f : -0f;
            case 4 -> Float.MIN_VALUE * rnd.nextInt(-1000, 1000);
            case 5 -> trial % 10 == 9 ? specialValue(rnd) : (float) (rnd.nextGaussian() * scale);
            default -> trial % 2 == 0 ? rnd.nextInt(-254, 255) / 2f : (float) (rnd.nextGaussian() * scale);
        };
    }

    private static float specialValue(SplittableRandom rnd) {
        return switch (rnd.nextInt(3)) {
            case 0 -> Float.NaN;
            case 1 -> Float.POSITIVE_INFINITY;
            default -> Float.NEGATIVE_INFINITY;
        };
    }
}
