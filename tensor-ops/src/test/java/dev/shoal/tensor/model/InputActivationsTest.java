package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A buffer's panel layout follows its contents: made once per fill, remade after the buffer is rewritten. */
class InputActivationsTest {

    private static final int COLS = 96;
    private static final int ROWS = 20;

    @ParameterizedTest
    @EnumSource(value = ActivationType.class, names = {"F32", "Q8_0", "Q8_1"})
    void panelsShouldBeTheCurrentRowsLaidOutAndRemadeAfterEveryFill(final ActivationType type) {
        final float[] source = new float[ROWS * COLS];
        final InputActivations in = new InputActivations(source, ROWS, COLS, List.of(type));
        final SplittableRandom rnd = new SplittableRandom(7);
        float[] before = null;
        for (final int rows : new int[] {ROWS, 13, ROWS}) {
            for (int i = 0; i < source.length; i++) {
                source[i] = (float) rnd.nextGaussian();
            }
            in.invalidate(rows);
            final float[] panels = in.panels(type);
            assertArrayEquals(expected(in.get(type), rows),
                    java.util.Arrays.copyOf(panels, Matrix.panelFloats(rows, COLS)), type + ", " + rows + " rows");
            // Q, K and V (gate and up) share one layout: asking again returns it as it is
            assertSame(panels, in.panels(type));
            if (before != null) {
                assertSame(before, panels, "the array is kept once it is large enough");
            }
            before = panels;
        }
        source[0] += 1f;
        final float[] stale = java.util.Arrays.copyOf(in.panels(type), Matrix.panelFloats(ROWS, COLS));
        in.invalidate(ROWS);
        assertNotEquals(stale[0], in.panels(type)[0], "the first input's first column, after the buffer changed");
    }

    private static float[] expected(final QuantizedActivations a, final int rows) {
        final float[] xt = new float[Matrix.panelFloats(rows, COLS)];
        Ops.transposeInputs(a.dequantizedValues(), a.offset(0), a.offset(1) - a.offset(0), rows, COLS, xt);
        return xt;
    }
}
