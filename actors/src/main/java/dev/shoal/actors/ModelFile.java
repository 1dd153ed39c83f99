package dev.shoal.actors;

import dev.shoal.actors.api.ModelEntry;

/**
 * A catalogued model: what clients see ({@link ModelEntry}) plus the shape the memory check needs. The KV shape
 * follows llama.cpp's defaults for keys a file may omit (KV heads = heads, key length = embedding / heads).
 */
record ModelFile(ModelEntry entry, int layers, int kvHeads, int keyLength, int valueLength) {

    String name() {
        return entry.name();
    }

    /** The context an instance gets: the configured one, capped by what the model was trained for. */
    int effectiveContext(int configured) {
        return entry.contextLength() > 0 ? Math.min(configured, entry.contextLength()) : configured;
    }

    /**
     * Float32 keys and values for {@code sequences} sequences of {@code context} tokens each: with equal key and
     * value lengths this is 2 × layers × KV heads × head size × context × 4 × sequences.
     */
    long kvCacheBytes(int context, int sequences) {
        return (long) layers * kvHeads * (keyLength + valueLength) * context * Float.BYTES * sequences;
    }

    /** What loading this model holds: its mapped file plus the KV caches of a full batch. */
    long residentBytes(int context, int sequences) {
        return entry.sizeBytes() + kvCacheBytes(effectiveContext(context), sequences);
    }
}
