package dev.shoal.tensor.model;

import java.util.Random;

/**
 * Times the prefill micro-kernels on data that stays in cache: a tile of 16 decoded weight rows against
 * {@code n} inputs, as {@code Matrix.multiplyTiled} runs them; prints GFLOP/s (2 per multiply-add). Not a test.
 *
 * <pre>java --add-modules=jdk.incubator.vector -cp target/test-classes:target/classes dev.shoal.tensor.model.TileSpeedCheck [cols] [n]</pre>
 */
public final class TileSpeedCheck {

    public static void main(String[] args) {
        int c = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int rows = 12;
        Random rnd = new Random(1);
        float[] tile = new float[rows * c];
        float[] x = new float[n * c];
        for (int i = 0; i < tile.length; i++) {
            tile[i] = rnd.nextFloat() - 0.5f;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() - 0.5f;
        }
        float[] out = new float[n * rows];
        float[] ref = new float[n * rows];
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < rows; r++) {
                ref[b * rows + r] = Ops.dot(tile, r * c, x, b * c, c);
            }
        }
        for (String kernel : new String[] {"4x2", "4x16", "4x2", "4x16", "4x16+T"}) {
            long flops = 0;
            long t0 = System.nanoTime();
            long best = Long.MAX_VALUE;
            for (int rep = 0; rep < 3000; rep++) {
                long s = System.nanoTime();
                run(kernel, tile, c, x, n, out, rows);
                best = Math.min(best, System.nanoTime() - s);
            }
            double err = 0;
            for (int i = 0; i < out.length; i++) {
                err = Math.max(err, Math.abs(out[i] - ref[i]));
            }
            flops = 2L * rows * n * c;
            System.out.printf("%s: %.1f GFLOP/s (best of 3000), max |diff| %.2e, %.0f ms in all%n", kernel,
                    flops / (double) best, err, (System.nanoTime() - t0) / 1e6);
        }
    }

    private static float[] xt;
    private static float[] quad;
    private static final float[] TMP = new float[256];

    private static void run(String kernel, float[] tile, int c, float[] x, int n, float[] out, int rows) {
        if (kernel.startsWith("4x16")) {
            int panels = (n + Ops.PANEL_TOKENS - 1) / Ops.PANEL_TOKENS;
            if (xt == null || kernel.endsWith("+T")) {
                xt = new float[panels * Ops.PANEL_TOKENS * c];
                Ops.transposeInputs(x, 0, c, n, c, xt);
            }
            if (quad == null || quad.length < 4 * c) {
                quad = new float[4 * c];
            }
            for (int i = 0; i < rows; i += Ops.PANEL_ROWS) {
                Ops.interleave4(tile, i * c, c, c, quad);
                for (int j = 0; j < panels; j++) {
                    Ops.panel4x2(quad, xt, j * Ops.PANEL_TOKENS * c, c, out, i, rows, j * Ops.PANEL_TOKENS,
                            Math.min(Ops.PANEL_TOKENS, n - j * Ops.PANEL_TOKENS), 4, TMP);
                }
            }
            return;
        }
        for (int i = 0; i < rows; i += 4) {
            int b = 0;
            switch (kernel) {
                case "4x4" -> {
                    for (; b + 4 <= n; b += 4) {
                        Ops.dot4x4(tile, i * c, c, x, b * c, c, c, out, b * rows + i, rows);
                    }
                }
                default -> { }
            }
            for (; b + 2 <= n; b += 2) {
                Ops.dot4x2(tile, i * c, c, x, b * c, (b + 1) * c, c, out, b * rows + i, (b + 1) * rows + i);
            }
            if (b < n) {
                Ops.dot4(tile, i * c, c, x, b * c, c, out, b * rows + i);
            }
        }
    }
}
