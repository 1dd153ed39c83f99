package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Ops#attendHead} against one head's attention computed in double (scores, softmax, weighted sum of values),
 * for head sizes with and without a scalar tail, context lengths on both sides of its four-position step, and every
 * KV head of a cache row. The bound, 1e-4 of Σ_t p_t·|v_t,i| per output element, is float rounding over sums of up
 * to 128 products carried through exp; a position missed, counted twice or read at the wrong offset is off by a
 * whole term. (Not compared bit for bit with the per-position dot, softmax and axpy it replaces: their
 * {@code reduceLanes} sums lanes in an order that differs between the interpreter and compiled code.)
 */
class AttendHeadTest {

    @ParameterizedTest
    @ValueSource(ints = {36, 64, 72, 80, 128})
    void shouldMatchAttentionComputedInDouble(int hd) {
        final SplittableRandom rnd = new SplittableRandom(hd);
        final int kvHeads = 3;
        final int stride = kvHeads * hd;
        for (int len : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 33, 130}) {
            final float[] kc = gaussian(rnd, len * stride, 1.5);
            final float[] vc = gaussian(rnd, len * stride, 1.0);
            final float[] q = gaussian(rnd, 2 * hd, 1.5);
            final float scale = (float) (1.0 / Math.sqrt(hd));
            for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
                final int kvOff = kvHead * hd;
                final double[] p = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) {
                    double s = 0;
                    for (int i = 0; i < hd; i++) {
                        s += (double) q[hd + i] * kc[t * stride + kvOff + i];
                    }
                    p[t] = s * scale;
                    max = Math.max(max, p[t]);
                }
                double sum = 0;
                for (int t = 0; t < len; t++) {
                    p[t] = Math.exp(p[t] - max);
                    sum += p[t];
                }
                final float[] out = new float[2 * hd];
                Ops.attendHead(q, hd, kc, vc, kvOff, stride, len, scale, hd, new float[len + 3], out, hd);
                for (int i = 0; i < hd; i++) {
                    double ref = 0;
                    double magnitude = 0;
                    for (int t = 0; t < len; t++) {
                        ref += p[t] / sum * vc[t * stride + kvOff + i];
                        magnitude += p[t] / sum * Math.abs(vc[t * stride + kvOff + i]);
                    }
                    final double error = Math.abs(out[hd + i] - ref);
                    assertTrue(error <= 1e-4 * magnitude + 1e-7, "hd " + hd + ", len " + len + ", kv head " + kvHead
                            + ", element " + i + ": " + out[hd + i] + " against " + ref);
                }
            }
        }
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sd);
        }
        return x;
    }
}
