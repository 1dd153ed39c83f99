package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.nearestInt;

import java.util.Arrays;

/**
 * The scale searches of ggml's K-quant reference quantizers, with the same float operation order so that a row
 * quantized here matches {@code llama-quantize} (without an importance matrix) block for block.
 */
final class QuantSearch {

    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is stored as zeros. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantSearch() {
    }

    /**
     * Asymmetric search ({@code make_qkx2_quants}, squared error): fits x ≈ scale*l - min with l in [0, nmax] and
     * min ≥ 0, by weighted least squares over {@code nstep+1} candidate inverse scales around nmax/(max-min).
     * Writes the levels to {@code l[lOff..]}, the min to {@code mins[j]}; returns the scale.
     */
    static float asymmetric(int n, int nmax, float[] x, int xOff, float[] w, byte[] l, int lOff, byte[] laux,
            float rmin, float rdelta, int nstep, float[] mins, int j) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = w[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            sumW += w[i];
            sumX += w[i] * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(l, lOff, lOff + n, (byte) 0);
            mins[j] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int q = Math.clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
            l[lOff + i] = (byte) q;
            float diff = scale * q + min - x[xOff + i];
            bestError += w[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int q = Math.clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
                laux[i] = (byte) q;
                sumL += w[i] * q;
                sumL2 += w[i] * q * q;
                sumXL += w[i] * q * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xOff + i];
                    error += w[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(laux, 0, l, lOff, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[j] = -min;
        return scale;
    }

    /**
     * Symmetric search ({@code make_qx_quants} with rmse_type 1, weights x²): fits x ≈ scale*(l - nmax) with
     * l - nmax in [-nmax, nmax-1], trying 19 inverse scales around -nmax/max (max = the value of largest
     * magnitude) and keeping the best weighted least-squares fit. Writes l to {@code l[lOff..]}; returns the scale.
     */
    static float symmetric(int n, int nmax, float[] x, int xOff, byte[] l, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            Arrays.fill(l, lOff, lOff + n, (byte) 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int q = Math.clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            l[lOff + i] = (byte) (q + nmax);
            float w = v * v;
            sumLX += w * v * q;
            sumL2 += w * q * q;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int q = Math.clamp(nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumLX += w * v * q;
                sumL2 += w * q * q;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int q = Math.clamp(nearestInt(iscale * x[xOff + i]), -nmax, nmax - 1);
                    l[lOff + i] = (byte) (q + nmax);
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
