package dev.shoal.tensor.model;

/**
 * Rotary position embedding. For pair {@code i < ropeDim/2} the angle at position {@code p} is
 * {@code (p / scale) · base^(-2i/ropeDim) / factor[i]} (factors: Llama 3 scaling, else 1). NORMAL ordering
 * (Llama) rotates adjacent elements {@code (2i, 2i+1)}; NeoX ordering (Qwen) rotates {@code (i, i + ropeDim/2)}.
 * Elements past {@code ropeDim} are left as they are (partial rotary).
 */
final class Rope {

    private final int ropeDim;
    private final boolean neox;
    private final double[] inverseFrequency;
    private final double positionScale;
    private final float[] cos;
    private final float[] sin;
    private int cachedPosition = -1;

    Rope(ModelConfig c) {
        this.ropeDim = c.ropeDim();
        this.neox = c.architecture().neoxRope();
        this.positionScale = 1.0 / c.ropeScale();
        this.inverseFrequency = new double[ropeDim / 2];
        for (int i = 0; i < ropeDim / 2; i++) {
            double f = Math.pow(c.ropeTheta(), -2.0 * i / ropeDim);
            if (c.ropeFreqFactors() != null) {
                f /= c.ropeFreqFactors()[i];
            }
            inverseFrequency[i] = f;
        }
        this.cos = new float[ropeDim / 2];
        this.sin = new float[ropeDim / 2];
    }

    /** Rotates {@code heads} consecutive vectors of {@code headDim} floats at {@code v[off...]} to position {@code pos}. */
    void apply(float[] v, int off, int heads, int headDim, int pos) {
        if (pos != cachedPosition) {
            for (int i = 0; i < cos.length; i++) {
                double angle = pos * positionScale * inverseFrequency[i];
                cos[i] = (float) Math.cos(angle);
                sin[i] = (float) Math.sin(angle);
            }
            cachedPosition = pos;
        }
        int half = ropeDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = neox ? base + i : base + 2 * i;
                int b = neox ? base + i + half : base + 2 * i + 1;
                float x0 = v[a];
                float x1 = v[b];
                v[a] = x0 * cos[i] - x1 * sin[i];
                v[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
