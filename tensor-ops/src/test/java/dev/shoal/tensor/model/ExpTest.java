package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.quant.QuantKernels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Ops#exp} and {@link Ops#expLanes}: accuracy against {@link Math#exp}, vector and scalar forms agreeing bit
 * for bit, and their users.
 */
class ExpTest {

    private static final int L = QuantKernels.floatSpecies().length();

    /** Ulps between two positive floats. */
    private static int ulps(float a, float b) {
        return Math.abs(Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }

    @Test
    void withinTwoUlpsOfMathExpOverTheWholeRange() {
        int worst = 0;
        float at = 0;
        for (float x = -87f; x <= 88f; x = Math.nextUp(x + 0.0007f)) {
            float e = Ops.exp(x);
            int u = ulps(e, (float) Math.exp(x));
            if (u > worst) {
                worst = u;
                at = x;
            }
        }
        assertTrue(worst <= 2, "exp(" + at + ") is " + worst + " ulps from Math.exp");
        assertEquals(1f, Ops.exp(0f));
        assertTrue(ulps(Ops.exp(1f), (float) Math.E) <= 2, "e^1 is e");
    }

    @Test
    void vectorLanesGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] in = new float[L];
        float[] out = new float[L];
        for (int trial = 0; trial < 20_000; trial++) {
            for (int i = 0; i < L; i++) {
                in[i] = (float) (rnd.nextDouble(-100, 100) * (trial % 3 == 0 ? 0.01 : 1));
            }
            System.arraycopy(in, 0, out, 0, L);
            Ops.expLanes(out, 0, L, 1f, 0f, null);
            for (int i = 0; i < L; i++) {
                assertEquals(Float.floatToIntBits(Ops.exp(in[i])), Float.floatToIntBits(out[i]),
                        "lane " + i + ", x = " + in[i]);
            }
        }
    }

    @Test
    void outOfRangeInputsClampToNormalFloats() {
        assertTrue(Ops.exp(-1000f) > 0f && Ops.exp(-1000f) < 2e-38f);
        assertTrue(Float.isFinite(Ops.exp(1000f)) && Ops.exp(1000f) > 1e38f);
        assertTrue(Float.isNaN(Ops.exp(Float.NaN)));
    }

    @Test
    void swigluMatchesTheDoubleFormulaAndDoesNotDependOnAlignment() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 8 * L + 5; // a scalar remainder too
        float[] gate = new float[n];
        float[] up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) rnd.nextDouble(-12, 12);
            up[i] = (float) rnd.nextDouble(-3, 3);
        }
        float[] g = gate.clone();
        Ops.swiglu(g, up, n);
        for (int i = 0; i < n; i++) {
            double want = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            assertEquals(want, g[i], 1e-6 * Math.max(1, Math.abs(want)), "element " + i);
        }
        // the same values starting one element later: every element is computed the other way (vector lane or
        // scalar remainder) but must come out the same
        float[] shiftedGate = new float[n];
        float[] shiftedUp = new float[n];
        System.arraycopy(gate, 0, shiftedGate, 1, n - 1);
        System.arraycopy(up, 0, shiftedUp, 1, n - 1);
        Ops.swiglu(shiftedGate, shiftedUp, n);
        for (int i = 0; i < n - 1; i++) {
            assertEquals(Float.floatToIntBits(g[i]), Float.floatToIntBits(shiftedGate[i + 1]), "element " + i);
        }
    }

    @Test
    void softmaxMatchesTheDoubleFormula() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {1, 3, L, 2 * L + 1, 500}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-30, 30);
            }
            float[] want = new float[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[1 + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(x[1 + i] - max);
            }
            for (int i = 0; i < n; i++) {
                want[i] = (float) (Math.exp(x[1 + i] - max) / sum);
            }
            float first = x[0];
            float last = x[n + 1];
            Ops.softmax(x, 1, n);
            double total = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], x[1 + i], 2e-6 * Math.max(want[i], 1e-3), "n = " + n + ", element " + i);
                total += x[1 + i];
            }
            assertEquals(1.0, total, 1e-5, "n = " + n);
            assertEquals(first, x[0], "element before the range untouched");
            assertEquals(last, x[n + 1], "element after the range untouched");
        }
    }
}
