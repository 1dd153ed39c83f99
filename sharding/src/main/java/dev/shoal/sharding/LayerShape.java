package dev.shoal.sharding;

import java.util.Objects;

/**
 * One transformer block's weights, as {@code SliceWeights} loads them: seven matrices a tensor rank cuts, and the
 * small vectors every rank keeps whole.
 *
 * @param replicatedBytes norms (and Qwen's Q/K/V biases and Q/K norms) as the engine holds them, float32 on every
 *                        rank. Biases are really cut by head; counting them whole over-states a rank by a few KiB,
 *                        which keeps the estimate on the safe side
 */
public record LayerShape(MatrixShape attnQ, MatrixShape attnK, MatrixShape attnV, MatrixShape attnOutput,
                         MatrixShape ffnGate, MatrixShape ffnUp, MatrixShape ffnDown, long replicatedBytes) {

    public LayerShape {
        Objects.requireNonNull(attnQ, "attnQ");
        Objects.requireNonNull(attnK, "attnK");
        Objects.requireNonNull(attnV, "attnV");
        Objects.requireNonNull(attnOutput, "attnOutput");
        Objects.requireNonNull(ffnGate, "ffnGate");
        Objects.requireNonNull(ffnUp, "ffnUp");
        Objects.requireNonNull(ffnDown, "ffnDown");
        if (replicatedBytes < 0) {
            throw new IllegalArgumentException("replicated bytes must not be negative: " + replicatedBytes);
        }
    }

    /** Bytes of the whole layer. */
    public long bytes() {
        return attnQ.bytes() + attnK.bytes() + attnV.bytes() + attnOutput.bytes() + ffnGate.bytes() + ffnUp.bytes()
                + ffnDown.bytes() + replicatedBytes;
    }

    /**
     * Bytes a rank holds that has {@code queryRows} rows of Q (its query heads × head size), {@code kvRows} rows of K
     * and V, the matching {@code queryRows} columns of {@code attn_output}, and {@code ffnColumns} of the FFN (rows
     * of gate/up, columns of down).
     */
    public long bytes(int queryRows, int kvRows, int ffnColumns) {
        return attnQ.rowBytes(queryRows) + attnK.rowBytes(kvRows) + attnV.rowBytes(kvRows)
                + attnOutput.columnBytes(queryRows) + ffnGate.rowBytes(ffnColumns) + ffnUp.rowBytes(ffnColumns)
                + ffnDown.columnBytes(ffnColumns) + replicatedBytes;
    }
}
