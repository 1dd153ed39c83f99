package dev.shoal.tensor.model;

/**
 * Keys and values of one sequence for the layers and KV heads of one slice, in float32. Per local layer the
 * layout is position-major: element {@code i} of KV head {@code h} at position {@code p} is at
 * {@code (p * kvHeads + h) * headDim + i}, so one position's keys are contiguous for the append and a head's
 * scan strides by {@code kvHeads * headDim}.
 */
public final class KvCache {

    private final float[][] keys;
    private final float[][] values;
    private final int capacity;
    private final int stride;

    public KvCache(int layers, int kvHeads, int headDim, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + capacity);
        }
        long floats = (long) capacity * kvHeads * headDim;
        if (floats > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions × " + kvHeads + " heads × "
                    + headDim + " is too large for one array per layer; lower the context length");
        }
        this.capacity = capacity;
        this.stride = kvHeads * headDim;
        this.keys = new float[layers][(int) floats];
        this.values = new float[layers][(int) floats];
    }

    /** For the slice's layers and KV heads. */
    public static KvCache forSlice(ModelConfig c, Slice s, int capacity) {
        return new KvCache(s.layerCount(), s.kvHeadCount(), c.headDim(), capacity);
    }

    public int capacity() {
        return capacity;
    }

    /** Floats per position in one layer (local KV heads × head size). */
    public int stride() {
        return stride;
    }

    public float[] keys(int localLayer) {
        return keys[localLayer];
    }

    public float[] values(int localLayer) {
        return values[localLayer];
    }
}
