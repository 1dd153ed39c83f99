package dev.shoal.transport.step;

import dev.shoal.tensor.generate.LocalModel;

/**
 * Rows one step may carry, from the instance's sequence slots ({@code shoal.engine.max-batch}). A prompt is
 * prefilled in chunks of that many rows, and a chunk streams every weight once and decodes it into tiles once, so
 * a split model takes chunks as large as a single node's ({@link LocalModel#DEFAULT_BATCH}) even when it holds few
 * sequences. The slots, each with a KV cache of the whole context, stay as configured. Every position derives
 * the same figure from the same slot count.
 */
public final class StepRows {

    private StepRows() {
    }

    public static int forSlots(final int slots) {
        if (slots < 1) {
            throw new IllegalArgumentException("an instance needs at least one sequence slot: " + slots);
        }
        return Math.max(slots, LocalModel.DEFAULT_BATCH);
    }
}
