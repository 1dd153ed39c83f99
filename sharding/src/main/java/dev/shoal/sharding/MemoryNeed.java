package dev.shoal.sharding;

/**
 * Memory one node needs for its part of a plan.
 *
 * @param weightBytes   its weights as the engine holds them (quantized matrices, float32 norms)
 * @param kvCacheBytes  keys and values, float32: 2 × its layers × its KV heads × head size × context × batch × 4
 * @param overheadBytes the fixed per-node overhead of {@link PlannerSettings#overheadBytes()}
 */
public record MemoryNeed(long weightBytes, long kvCacheBytes, long overheadBytes) {

    public MemoryNeed {
        if (weightBytes < 0 || kvCacheBytes < 0 || overheadBytes < 0) {
            throw new IllegalArgumentException("memory figures must not be negative: " + weightBytes + ", "
                    + kvCacheBytes + ", " + overheadBytes);
        }
    }

    public long total() {
        return weightBytes + kvCacheBytes + overheadBytes;
    }

    public MemoryNeed plus(MemoryNeed other) {
        return new MemoryNeed(weightBytes + other.weightBytes, kvCacheBytes + other.kvCacheBytes,
                overheadBytes + other.overheadBytes);
    }

    /** "12.3 GiB (weights 10.0, KV cache 2.0, overhead 0.3)". */
    public String describe() {
        return describe(1);
    }

    /** {@link #describe()} with more decimals, for when the total must read apart from a close free figure. */
    String describe(int decimals) {
        return Gib.of(total(), decimals) + " (weights " + Gib.number(weightBytes, decimals) + ", KV cache "
                + Gib.number(kvCacheBytes, decimals) + ", overhead " + Gib.number(overheadBytes, decimals) + ")";
    }
}
