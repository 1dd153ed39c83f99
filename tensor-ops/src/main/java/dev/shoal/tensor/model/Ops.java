package dev.shoal.tensor.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The small vector operations of the forward pass. None allocates. */
final class Ops {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Ops() {
    }

    /** {@code out[i] = x[i] / rms(x) * w[i]} over {@code n} elements; the mean of squares is summed in double. */
    static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            ss += v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * scale * w[i];
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /**
     * Four dot products at once: {@code out[outOff + i] = w[wOff + i*wStride ..] · x[xOff ..]} over {@code n}
     * elements, i = 0..3. Each x vector is loaded once for four FMAs, which is what makes a decoded weight tile
     * cheap to reuse across a batch.
     */
    static void dot4(float[] w, int wOff, int wStride, float[] x, int xOff, int n, float[] out, int outOff) {
        final int w1 = wOff + wStride;
        final int w2 = w1 + wStride;
        final int w3 = w2 + wStride;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
            a0 = FloatVector.fromArray(S, w, wOff + i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, w1 + i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, w2 + i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, w3 + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float xi = x[xOff + i];
            s0 += w[wOff + i] * xi;
            s1 += w[w1 + i] * xi;
            s2 += w[w2 + i] * xi;
            s3 += w[w3 + i] * xi;
        }
        out[outOff] = s0;
        out[outOff + 1] = s1;
        out[outOff + 2] = s2;
        out[outOff + 3] = s3;
    }

    /**
     * Eight dot products: four weight rows (as {@link #dot4}) each with two inputs at {@code xOff0} and
     * {@code xOff1}; results go to {@code out[out0 + i]} and {@code out[out1 + i]}. Six loads feed eight FMAs, and
     * twelve of the sixteen AVX2 registers (of 32 with AVX-512) hold the accumulators and operands.
     */
    static void dot4x2(float[] w, int wOff, int wStride, float[] x, int xOff0, int xOff1, int n, float[] out,
                       int out0, int out1) {
        final int w1 = wOff + wStride;
        final int w2 = w1 + wStride;
        final int w3 = w2 + wStride;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S);
        FloatVector b1 = FloatVector.zero(S);
        FloatVector b2 = FloatVector.zero(S);
        FloatVector b3 = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            final FloatVector xa = FloatVector.fromArray(S, x, xOff0 + i);
            final FloatVector xb = FloatVector.fromArray(S, x, xOff1 + i);
            final FloatVector r0 = FloatVector.fromArray(S, w, wOff + i);
            final FloatVector r1 = FloatVector.fromArray(S, w, w1 + i);
            final FloatVector r2 = FloatVector.fromArray(S, w, w2 + i);
            final FloatVector r3 = FloatVector.fromArray(S, w, w3 + i);
            a0 = r0.fma(xa, a0);
            a1 = r1.fma(xa, a1);
            a2 = r2.fma(xa, a2);
            a3 = r3.fma(xa, a3);
            b0 = r0.fma(xb, b0);
            b1 = r1.fma(xb, b1);
            b2 = r2.fma(xb, b2);
            b3 = r3.fma(xb, b3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        float t0 = b0.reduceLanes(VectorOperators.ADD);
        float t1 = b1.reduceLanes(VectorOperators.ADD);
        float t2 = b2.reduceLanes(VectorOperators.ADD);
        float t3 = b3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            final float xi = x[xOff0 + i];
            final float xj = x[xOff1 + i];
            s0 += w[wOff + i] * xi;
            s1 += w[w1 + i] * xi;
            s2 += w[w2 + i] * xi;
            s3 += w[w3 + i] * xi;
            t0 += w[wOff + i] * xj;
            t1 += w[w1 + i] * xj;
            t2 += w[w2 + i] * xj;
            t3 += w[w3 + i] * xj;
        }
        out[out0] = s0;
        out[out0 + 1] = s1;
        out[out0 + 2] = s2;
        out[out0 + 3] = s3;
        out[out1] = t0;
        out[out1 + 1] = t1;
        out[out1 + 2] = t2;
        out[out1 + 3] = t3;
    }

    /** {@code y[i] += a * x[i]}. */
    static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /** {@code y[yOff + i] += x[i]} for {@code i < n}. */
    static void add(float[] y, int yOff, float[] x, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[i];
        }
    }

    /** In-place softmax over {@code x[off, off+n)}. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]}. */
    static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
