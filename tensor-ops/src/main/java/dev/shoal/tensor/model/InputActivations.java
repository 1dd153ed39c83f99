package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.QuantizedActivations;

/**
 * One float buffer that feeds matmuls ({@code rows} inputs of {@code cols} floats, row b at {@code b*cols}), with
 * its quantized forms. After the buffer is rewritten, {@link #invalidate} marks every form stale; the first
 * matmul that asks for a form quantizes all rows once, and the matmuls after it (Q, K and V share one input; so do
 * gate and up) reuse it. Every form a consumer can ask for is allocated up front, so steady-state steps
 * allocate nothing.
 */
final class InputActivations {

    private final float[] source;
    private final int cols;
    private final QuantizedActivations[] byOrdinal = new QuantizedActivations[ActivationType.values().length];
    private final boolean[] valid = new boolean[ActivationType.values().length];
    /** Per form, its rows laid out in panels ({@link Ops#transposeInputs}); made on a prefill's first use. */
    private final float[][] panels = new float[ActivationType.values().length][];
    private final boolean[] panelsValid = new boolean[ActivationType.values().length];
    private int rows;

    /** @param types the activation types of every matrix this buffer feeds (F32 is always available) */
    InputActivations(float[] source, int maxRows, int cols, Iterable<ActivationType> types) {
        this.source = source;
        this.cols = cols;
        add(ActivationType.F32, maxRows);
        for (ActivationType t : types) {
            add(t, maxRows);
        }
    }

    private void add(ActivationType t, int maxRows) {
        if (byOrdinal[t.ordinal()] == null) {
            byOrdinal[t.ordinal()] = new QuantizedActivations(t, maxRows, cols);
        }
    }

    /** The buffer now holds {@code rows} new inputs. */
    void invalidate(int rows) {
        this.rows = rows;
        java.util.Arrays.fill(valid, false);
        java.util.Arrays.fill(panelsValid, false);
    }

    /**
     * This buffer's rows in form {@code t}, laid out in panels for {@link Matrix#multiplyBatch} with
     * {@code panels}: once per form and fill, on the calling thread, so that the threads sharing a prefill's rows,
     * and the matmuls sharing this input, read one layout. The array grows on first use (a prefill's row count),
     * never per step.
     */
    float[] panels(ActivationType t) {
        final QuantizedActivations a = get(t);
        final int i = t.ordinal();
        if (!panelsValid[i]) {
            final int size = Matrix.panelFloats(rows, cols);
            if (panels[i] == null || panels[i].length < size) {
                panels[i] = new float[size];
            }
            Ops.transposeInputs(a.dequantizedValues(), a.offset(0), rows > 1 ? a.offset(1) - a.offset(0) : 0, rows,
                    cols, panels[i]);
            panelsValid[i] = true;
        }
        return panels[i];
    }

    /** This buffer's rows in form {@code t}, quantized now if they are not yet. */
    QuantizedActivations get(ActivationType t) {
        final QuantizedActivations a = byOrdinal[t.ordinal()];
        if (a == null) {
            throw new IllegalStateException("no " + t + " form was prepared for this input");
        }
        if (!valid[t.ordinal()]) {
            a.quantize(source, cols, rows, cols);
            valid[t.ordinal()] = true;
        }
        return a;
    }
}
