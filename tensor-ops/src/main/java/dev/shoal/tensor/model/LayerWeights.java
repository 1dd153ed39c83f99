package dev.shoal.tensor.model;

/**
 * One transformer block's weights, cut to a slice. Shapes (local = this slice's share):
 * {@code wq} [qLocal rows × dim], {@code wk}/{@code wv} [kvLocal rows × dim], {@code wo} [dim rows × qLocal cols],
 * {@code gate}/{@code up} [ffnLocal rows × dim], {@code down} [dim rows × ffnLocal cols]; norms are [dim];
 * Qwen2 biases are [qLocal]/[kvLocal] (else null); Qwen3 Q/K norms are [headDim] (else null).
 */
public record LayerWeights(
        float[] attnNorm,
        Matrix wq, Matrix wk, Matrix wv,
        float[] bq, float[] bk, float[] bv,
        float[] qNorm, float[] kNorm,
        Matrix wo,
        float[] ffnNorm,
        Matrix gate, Matrix up, Matrix down) {

    /** Bytes of the seven matrices: what one decode step streams for this layer. */
    public long matrixBytes() {
        return wq.byteSize() + wk.byteSize() + wv.byteSize() + wo.byteSize() + gate.byteSize() + up.byteSize()
                + down.byteSize();
    }

    long byteSize() {
        return matrixBytes() + 4L * (attnNorm.length + ffnNorm.length);
    }
}
