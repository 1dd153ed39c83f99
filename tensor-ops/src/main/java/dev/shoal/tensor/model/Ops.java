package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.QuantKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The small vector operations of the forward pass. None allocates. */
final class Ops {

    private static final VectorSpecies<Float> S = QuantKernels.floatSpecies();
    private static final VectorSpecies<Integer> SI = S.withLanes(int.class);

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

    /** Tokens per panel of {@link #panel4x2}: two float vectors. */
    static final int PANEL_TOKENS = 2 * S.length();

    /** Weight rows per call of {@link #panel4x2}. */
    static final int PANEL_ROWS = 4;

    /**
     * Lays {@code count} inputs (input b at {@code x[xOff + b*xStride ..]}, {@code n} columns) out for
     * {@link #panel4x2}: panel j holds inputs {@code PANEL_TOKENS*j ..} (two vectors' worth) of every column k at
     * {@code xt[(j*n + k)*PANEL_TOKENS + t]}, so a panel is one contiguous stream of {@code n} two-vector rows;
     * inputs past {@code count} are zeros. Returns the number of panels.
     */
    static int transposeInputs(float[] x, int xOff, int xStride, int count, int n, float[] xt) {
        final int pt = PANEL_TOKENS;
        final int panels = (count + pt - 1) / pt;
        for (int j = 0; j < panels; j++) {
            final int base = j * n * pt;
            final int valid = Math.min(pt, count - j * pt);
            for (int k = 0; k < n; k++) {
                final int at = base + k * pt;
                int src = xOff + j * pt * xStride + k;
                for (int t = 0; t < valid; t++, src += xStride) {
                    xt[at + t] = x[src];
                }
                for (int t = valid; t < pt; t++) {
                    xt[at + t] = 0f;
                }
            }
        }
        return panels;
    }

    /**
     * {@code w4[4k + r] = w[wOff + r·wStride + k]} for rows r &lt; 4 and columns k &lt; n: four decoded rows as the
     * one interleaved stream {@link #panel4x2} reads.
     */
    static void interleave4(float[] w, int wOff, int wStride, int n, float[] w4) {
        final int w1 = wOff + wStride;
        final int w2 = w1 + wStride;
        final int w3 = w2 + wStride;
        int k = 0;
        if (S.length() == 8) {
            // eight columns of the four rows at a time: rows a, b zipped to a0 b0 a1 b1 …, c, d likewise, then
            // the pairs zipped to a0 b0 c0 d0 a1 b1 c1 d1 … (two-vector rearranges; a scalar loop cost 15 % of
            // the panels' time)
            for (int upper = n & ~7; k < upper; k += 8) {
                final FloatVector a = FloatVector.fromArray(S, w, wOff + k);
                final FloatVector b = FloatVector.fromArray(S, w, w1 + k);
                final FloatVector c = FloatVector.fromArray(S, w, w2 + k);
                final FloatVector d = FloatVector.fromArray(S, w, w3 + k);
                final FloatVector abLo = a.rearrange(ZIP_LO, b);
                final FloatVector abHi = a.rearrange(ZIP_HI, b);
                final FloatVector cdLo = c.rearrange(ZIP_LO, d);
                final FloatVector cdHi = c.rearrange(ZIP_HI, d);
                abLo.rearrange(PAIRS_LO, cdLo).intoArray(w4, 4 * k);
                abLo.rearrange(PAIRS_HI, cdLo).intoArray(w4, 4 * k + 8);
                abHi.rearrange(PAIRS_LO, cdHi).intoArray(w4, 4 * k + 16);
                abHi.rearrange(PAIRS_HI, cdHi).intoArray(w4, 4 * k + 24);
            }
        }
        for (; k < n; k++) {
            w4[4 * k] = w[wOff + k];
            w4[4 * k + 1] = w[w1 + k];
            w4[4 * k + 2] = w[w2 + k];
            w4[4 * k + 3] = w[w3 + k];
        }
    }

    // two-vector rearranges of eight lanes: index i takes lane i of this vector, i − 8 lane i of the other
    private static final VectorShuffle<Float> ZIP_LO = eightLanes(0, -8, 1, -7, 2, -6, 3, -5);
    private static final VectorShuffle<Float> ZIP_HI = eightLanes(4, -4, 5, -3, 6, -2, 7, -1);
    private static final VectorShuffle<Float> PAIRS_LO = eightLanes(0, 1, -8, -7, 2, 3, -6, -5);
    private static final VectorShuffle<Float> PAIRS_HI = eightLanes(4, 5, -4, -3, 6, 7, -2, -1);

    private static VectorShuffle<Float> eightLanes(int... lanes) {
        return S.length() == 8 ? VectorShuffle.fromValues(S, lanes) : null;
    }

    /**
     * Four decoded weight rows, interleaved by {@link #interleave4}, against one panel of {@link #PANEL_TOKENS}
     * inputs laid out by {@link #transposeInputs}, as an outer product per column: column k loads two input vectors
     * (16 tokens on AVX2) and broadcasts four weights, for eight FMAs into eight accumulators (row r, token half h).
     * Where {@link #dot4x2} loads six vectors per eight FMAs, all from L2 once four rows and two inputs outgrow L1,
     * this reads 64 bytes of inputs and 16 of weights per eight FMAs, as sequential streams, and needs no horizontal
     * sums ({@code TileSpeedCheck} on Zen 3, 12 rows: 38-48 → 58-68 GFLOP/s). The four weights of a column sit
     * side by side so that their broadcasts share one address: from four rows a stride apart, the compiled loop
     * spent 27 instructions per eight FMAs (an address per row, and a pointer moved through a vector register for
     * want of general ones), which the core could not issue in the four cycles the FMAs take (session 28: 65 → 90
     * GFLOP/s in a throw-away harness). Six rows (twelve accumulators and six broadcasts, which C2 hoists to the top
     * of the body) spill on AVX2's 16 registers and ran at 43; so does a body of two columns (eight broadcasts
     * hoisted). Results go to {@code out[(token0 + t) * outStride + outOff + r]} for the panel's first
     * {@code valid} tokens and first {@code rows} rows, through {@code tmp} (at least
     * {@code PANEL_ROWS * PANEL_TOKENS} floats).
     */
    static void panel4x2(float[] w4, float[] xt, int xtOff, int n, float[] out, int outOff, int outStride,
                         int token0, int valid, int rows, float[] tmp) {
        final int l = S.length();
        final int pt = 2 * l;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector b1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector b2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector b3 = FloatVector.zero(S);
        for (int k = 0; k < n; k++) {
            final int at = xtOff + k * pt;
            final int wk = 4 * k;
            final FloatVector lo = FloatVector.fromArray(S, xt, at);
            final FloatVector hi = FloatVector.fromArray(S, xt, at + l);
            final FloatVector v0 = FloatVector.broadcast(S, w4[wk]);
            a0 = lo.fma(v0, a0);
            b0 = hi.fma(v0, b0);
            final FloatVector v1 = FloatVector.broadcast(S, w4[wk + 1]);
            a1 = lo.fma(v1, a1);
            b1 = hi.fma(v1, b1);
            final FloatVector v2 = FloatVector.broadcast(S, w4[wk + 2]);
            a2 = lo.fma(v2, a2);
            b2 = hi.fma(v2, b2);
            final FloatVector v3 = FloatVector.broadcast(S, w4[wk + 3]);
            a3 = lo.fma(v3, a3);
            b3 = hi.fma(v3, b3);
        }
        a0.intoArray(tmp, 0);
        b0.intoArray(tmp, l);
        a1.intoArray(tmp, pt);
        b1.intoArray(tmp, pt + l);
        a2.intoArray(tmp, 2 * pt);
        b2.intoArray(tmp, 2 * pt + l);
        a3.intoArray(tmp, 3 * pt);
        b3.intoArray(tmp, 3 * pt + l);
        panelResults(tmp, pt, out, outOff, outStride, token0, valid, rows);
    }

    /**
     * A panel's results from {@code tmp} (row r's token t at {@code r·pt + t}) to their places in {@code out}, for its
     * first {@code rows} rows (a tile's last rows run as a four with the rest of the tile's scratch after them).
     */
    private static void panelResults(float[] tmp, int pt, float[] out, int outOff, int outStride, int token0,
                                     int valid, int rows) {
        for (int t = 0; t < valid; t++) {
            final int o = (token0 + t) * outStride + outOff;
            for (int r = 0; r < rows; r++) {
                out[o + r] = tmp[r * pt + t];
            }
        }
    }

    /**
     * {@link #panel4x2} on four rows read where they lie, a stride apart, for prefills that run on several threads
     * at once: there, on the anchor machine's two vCPUs, the interleaved rows measured slower (session 28, a loop of
     * 128-token Q8_0 prefills in one JVM on two threads, four alternating rounds: medians 40.8–53.4 tok/s against
     * 46.1–55.7 with this kernel), though one thread of them is 15–35 % faster and two one-thread processes side by
     * side each kept that speed. Written out again rather than one method taking a column and a row step: with the
     * row step a variable, each broadcast needs its own address again, the very cost {@link #panel4x2} avoids.
     */
    static void panel4x2Rows(float[] w, int wOff, int wStride, float[] xt, int xtOff, int n, float[] out,
                             int outOff, int outStride, int token0, int valid, int rows, float[] tmp) {
        final int w1 = wOff + wStride;
        final int w2 = w1 + wStride;
        final int w3 = w2 + wStride;
        final int l = S.length();
        final int pt = 2 * l;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector b1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector b2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector b3 = FloatVector.zero(S);
        for (int k = 0; k < n; k++) {
            final int at = xtOff + k * pt;
            final FloatVector lo = FloatVector.fromArray(S, xt, at);
            final FloatVector hi = FloatVector.fromArray(S, xt, at + l);
            final FloatVector v0 = FloatVector.broadcast(S, w[wOff + k]);
            a0 = lo.fma(v0, a0);
            b0 = hi.fma(v0, b0);
            final FloatVector v1 = FloatVector.broadcast(S, w[w1 + k]);
            a1 = lo.fma(v1, a1);
            b1 = hi.fma(v1, b1);
            final FloatVector v2 = FloatVector.broadcast(S, w[w2 + k]);
            a2 = lo.fma(v2, a2);
            b2 = hi.fma(v2, b2);
            final FloatVector v3 = FloatVector.broadcast(S, w[w3 + k]);
            a3 = lo.fma(v3, a3);
            b3 = hi.fma(v3, b3);
        }
        a0.intoArray(tmp, 0);
        b0.intoArray(tmp, l);
        a1.intoArray(tmp, pt);
        b1.intoArray(tmp, pt + l);
        a2.intoArray(tmp, 2 * pt);
        b2.intoArray(tmp, 2 * pt + l);
        a3.intoArray(tmp, 3 * pt);
        b3.intoArray(tmp, 3 * pt + l);
        panelResults(tmp, pt, out, outOff, outStride, token0, valid, rows);
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

    /**
     * Four rows of {@code w} against 4 inputs: {@code out[outOff + j * outStride + r] = w row r · x input j} for
     * {@code r < 4}, {@code j < 4}; inputs {@code xStride} apart from {@code xOff}. 16 accumulators: each weight
     * vector is loaded once per 4 inputs, each input vector once per four rows. Unrolled by hand like
     * {@link #dot4x2}: accumulators held in an array or loop would be boxed vectors, not registers.
     */
    static void dot4x4(float[] w, int wOff, int wStride, float[] x, int xOff, int xStride, int n, float[] out,
                       int outOff, int outStride) {
        final int w1 = wOff + wStride;
        final int w2 = w1 + wStride;
        final int w3 = w2 + wStride;
        final int x0 = xOff + 0 * xStride;
        final int x1 = xOff + 1 * xStride;
        final int x2 = xOff + 2 * xStride;
        final int x3 = xOff + 3 * xStride;
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            final FloatVector r0 = FloatVector.fromArray(S, w, wOff + i);
            final FloatVector r1 = FloatVector.fromArray(S, w, w1 + i);
            final FloatVector r2 = FloatVector.fromArray(S, w, w2 + i);
            final FloatVector r3 = FloatVector.fromArray(S, w, w3 + i);
            final FloatVector v0 = FloatVector.fromArray(S, x, x0 + i);
            a00 = r0.fma(v0, a00);
            a01 = r1.fma(v0, a01);
            a02 = r2.fma(v0, a02);
            a03 = r3.fma(v0, a03);
            final FloatVector v1 = FloatVector.fromArray(S, x, x1 + i);
            a10 = r0.fma(v1, a10);
            a11 = r1.fma(v1, a11);
            a12 = r2.fma(v1, a12);
            a13 = r3.fma(v1, a13);
            final FloatVector v2 = FloatVector.fromArray(S, x, x2 + i);
            a20 = r0.fma(v2, a20);
            a21 = r1.fma(v2, a21);
            a22 = r2.fma(v2, a22);
            a23 = r3.fma(v2, a23);
            final FloatVector v3 = FloatVector.fromArray(S, x, x3 + i);
            a30 = r0.fma(v3, a30);
            a31 = r1.fma(v3, a31);
            a32 = r2.fma(v3, a32);
            a33 = r3.fma(v3, a33);
        }
        float s00 = a00.reduceLanes(VectorOperators.ADD);
        float s01 = a01.reduceLanes(VectorOperators.ADD);
        float s02 = a02.reduceLanes(VectorOperators.ADD);
        float s03 = a03.reduceLanes(VectorOperators.ADD);
        float s10 = a10.reduceLanes(VectorOperators.ADD);
        float s11 = a11.reduceLanes(VectorOperators.ADD);
        float s12 = a12.reduceLanes(VectorOperators.ADD);
        float s13 = a13.reduceLanes(VectorOperators.ADD);
        float s20 = a20.reduceLanes(VectorOperators.ADD);
        float s21 = a21.reduceLanes(VectorOperators.ADD);
        float s22 = a22.reduceLanes(VectorOperators.ADD);
        float s23 = a23.reduceLanes(VectorOperators.ADD);
        float s30 = a30.reduceLanes(VectorOperators.ADD);
        float s31 = a31.reduceLanes(VectorOperators.ADD);
        float s32 = a32.reduceLanes(VectorOperators.ADD);
        float s33 = a33.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            final float e0 = x[x0 + i];
            final float e1 = x[x1 + i];
            final float e2 = x[x2 + i];
            final float e3 = x[x3 + i];
            s00 += w[wOff + i] * e0;
            s01 += w[w1 + i] * e0;
            s02 += w[w2 + i] * e0;
            s03 += w[w3 + i] * e0;
            s10 += w[wOff + i] * e1;
            s11 += w[w1 + i] * e1;
            s12 += w[w2 + i] * e1;
            s13 += w[w3 + i] * e1;
            s20 += w[wOff + i] * e2;
            s21 += w[w1 + i] * e2;
            s22 += w[w2 + i] * e2;
            s23 += w[w3 + i] * e2;
            s30 += w[wOff + i] * e3;
            s31 += w[w1 + i] * e3;
            s32 += w[w2 + i] * e3;
            s33 += w[w3 + i] * e3;
        }
        out[outOff + 0 * outStride + 0] = s00;
        out[outOff + 0 * outStride + 1] = s01;
        out[outOff + 0 * outStride + 2] = s02;
        out[outOff + 0 * outStride + 3] = s03;
        out[outOff + 1 * outStride + 0] = s10;
        out[outOff + 1 * outStride + 1] = s11;
        out[outOff + 1 * outStride + 2] = s12;
        out[outOff + 1 * outStride + 3] = s13;
        out[outOff + 2 * outStride + 0] = s20;
        out[outOff + 2 * outStride + 1] = s21;
        out[outOff + 2 * outStride + 2] = s22;
        out[outOff + 2 * outStride + 3] = s23;
        out[outOff + 3 * outStride + 0] = s30;
        out[outOff + 3 * outStride + 1] = s31;
        out[outOff + 3 * outStride + 2] = s32;
        out[outOff + 3 * outStride + 3] = s33;
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

    /**
     * One query head's attention over positions {@code [0, len)}: {@code att[t] = (q · k_t)·scale} with
     * {@code k_t = kc[t·stride + kvOff ..]}, softmax over {@code att[0, len)}, then
     * {@code out[outOff ..] = Σ_t att[t]·v_t} over {@code hd} elements: the operations of {@link #dot} per position,
     * {@link #softmax}, and an FMA of att[t]·v_t per position into a zeroed output (each position's dot the same FMA
     * chain and lane reduction, each output element's FMAs in position order), arranged to go faster: four
     * positions' dots in flight at once, and the output held in four vector registers across all positions instead
     * of loaded and stored per position. A decode step makes 32 heads × 16 layers × the context of these on a 1B
     * model (one thread, 1B Q4_0, 128 + 64 tokens on a Zen 3 core: 3.2–3.9 ms of a token per-position, 1.9–2.9 ms
     * this way).
     */
    static void attendHead(float[] q, int qo, float[] kc, float[] vc, int kvOff, int stride, int len, float scale,
                           int hd, float[] att, float[] out, int outOff) {
        final int lanes = S.length();
        final int bound = S.loopBound(hd);
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            final int k0 = t * stride + kvOff;
            final int k1 = k0 + stride;
            final int k2 = k1 + stride;
            final int k3 = k2 + stride;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int i = 0; i < bound; i += lanes) {
                final FloatVector qv = FloatVector.fromArray(S, q, qo + i);
                a0 = qv.fma(FloatVector.fromArray(S, kc, k0 + i), a0);
                a1 = qv.fma(FloatVector.fromArray(S, kc, k1 + i), a1);
                a2 = qv.fma(FloatVector.fromArray(S, kc, k2 + i), a2);
                a3 = qv.fma(FloatVector.fromArray(S, kc, k3 + i), a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < hd; i++) {
                s0 += q[qo + i] * kc[k0 + i];
                s1 += q[qo + i] * kc[k1 + i];
                s2 += q[qo + i] * kc[k2 + i];
                s3 += q[qo + i] * kc[k3 + i];
            }
            att[t] = s0 * scale;
            att[t + 1] = s1 * scale;
            att[t + 2] = s2 * scale;
            att[t + 3] = s3 * scale;
        }
        for (; t < len; t++) {
            att[t] = dot(q, qo, kc, t * stride + kvOff, hd) * scale;
        }
        softmax(att, 0, len);
        int i = 0;
        for (; i + 4 * lanes <= bound; i += 4 * lanes) {
            FloatVector y0 = FloatVector.zero(S);
            FloatVector y1 = FloatVector.zero(S);
            FloatVector y2 = FloatVector.zero(S);
            FloatVector y3 = FloatVector.zero(S);
            for (int p = 0, v = kvOff + i; p < len; p++, v += stride) {
                final FloatVector a = FloatVector.broadcast(S, att[p]);
                y0 = FloatVector.fromArray(S, vc, v).fma(a, y0);
                y1 = FloatVector.fromArray(S, vc, v + lanes).fma(a, y1);
                y2 = FloatVector.fromArray(S, vc, v + 2 * lanes).fma(a, y2);
                y3 = FloatVector.fromArray(S, vc, v + 3 * lanes).fma(a, y3);
            }
            y0.intoArray(out, outOff + i);
            y1.intoArray(out, outOff + i + lanes);
            y2.intoArray(out, outOff + i + 2 * lanes);
            y3.intoArray(out, outOff + i + 3 * lanes);
        }
        for (; i < bound; i += lanes) {
            FloatVector y = FloatVector.zero(S);
            for (int p = 0, v = kvOff + i; p < len; p++, v += stride) {
                y = FloatVector.fromArray(S, vc, v).fma(FloatVector.broadcast(S, att[p]), y);
            }
            y.intoArray(out, outOff + i);
        }
        for (; i < hd; i++) {
            float y = 0f;
            for (int p = 0, v = kvOff + i; p < len; p++, v += stride) {
                y += att[p] * vc[v];
            }
            out[outOff + i] = y;
        }
    }

    /**
     * In-place softmax over {@code x[off, off+n)}, with {@link #exp}: the scores of one attention head, so a token's
     * cost grows with its position (32 heads × 16 layers × the context on a 1B model).
     */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = expLanes(x, off, n, 1f, max, null);
        int i = S.loopBound(n);
        for (; i < n; i++) {
            final float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        final float inv = (float) (1.0 / sum);
        for (i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    /**
     * SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]} with {@link #exp}, eight or sixteen lanes at a time; the
     * remainder takes the scalar twin, which gives the same bits, so no element's value depends on where a slice's
     * columns start.
     */
    static void swiglu(float[] gate, float[] up, int n) {
        expLanes(gate, 0, n, -1f, 0f, up);
        for (int i = S.loopBound(n); i < n; i++) {
            final float g = gate[i];
            gate[i] = g / (1f + exp(-g)) * up[i];
        }
    }

    // e^x = 2^k · e^r with k = round(x·log2 e) and r = x − k·ln 2 (ln 2 in two parts, so r keeps its low bits), e^r
    // by a degree-7 polynomial on |r| ≤ ln2/2 (the Cephes expf coefficients; ≤ 2 ulp against Math.exp, ExpTest), 2^k
    // written into the exponent bits. k is rounded by adding and subtracting 1.5·2^23, which leaves the nearest
    // integer in a float. Inputs are clamped to [−87, 88] so 2^k stays a normal float: below −87 gives ~1.6e-38
    // instead of a smaller number or 0 (a vanishing softmax weight or silu of a large input either way).
    private static final float EXP_MIN = -87f;
    private static final float EXP_MAX = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /**
     * The vector part ({@code S.loopBound(n)} elements from {@code off}) of {@link #softmax} ({@code up == null}:
     * {@code x[i] = e^(x[i] − shift)}, returning Σ of those) or of {@link #swiglu} ({@code x[i] = x[i] / (1 +
     * e^(−x[i])) · up[i]}, returning 0); e^t is computed as {@code sign·x − shift}, which is exactly {@code x − max}
     * or {@code −x}. Arrays in, arrays out, and the exponential written here rather than in a method of its own: a
     * vector that crosses a call C2 did not inline is boxed, and a caller this small gets inlined into the forward
     * step, which is big enough that C2 stops inlining there (NodeCountInliningCutoff): a vector {@code exp} helper
     * then allocated two vectors per call, only in the JVMs whose compile order made it so
     * ({@code DecodeAllocationTest}).
     *
     * <p>The exponential is {@link #exp(float)}'s, operation for operation, so every lane gives the scalar's bits;
     * plain vector arithmetic, because the Vector API's EXP calls a native math library where the JDK has one for the
     * CPU and otherwise boxes each lane.
     */
    static double expLanes(float[] x, int off, int n, float sign, float shift, float[] up) {
        final FloatVector sg = FloatVector.broadcast(S, sign);
        final FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0, upper = S.loopBound(n); i < upper; i += S.length()) {
            final FloatVector v = FloatVector.fromArray(S, x, off + i);
            final FloatVector c = v.mul(sg).sub(sh).max(EXP_MIN).min(EXP_MAX);
            final FloatVector k = c.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND)).sub(ROUND);
            final FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_LO), k.fma(FloatVector.broadcast(S, -LN2_HI), c));
            FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            p = p.fma(r.mul(r), r).add(1f);
            final FloatVector e = p.mul(((IntVector) k.convertShape(VectorOperators.F2I, SI, 0)).add(127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            if (up == null) {
                e.intoArray(x, off + i);
                acc = e.add(acc);
            } else {
                v.div(e.add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(x, off + i);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** e^x, the scalar twin of {@link #expLanes}'s vector exponential, operation for operation. */
    static float exp(float x) {
        final float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        final float k = Math.fma(c, LOG2E, ROUND) - ROUND;
        final float r = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, c));
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }
}
