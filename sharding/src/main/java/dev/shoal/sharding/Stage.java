package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import java.util.Objects;

/**
 * A pipeline stage: one node holding layers {@code [layerStart, layerEnd)} with every head, FFN column and
 * vocabulary row. The first stage also holds the token embedding, the last the final norm and output projection.
 */
public record Stage(NodeId node, Slice slice, MemoryNeed memory) {

    public Stage {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(memory, "memory");
    }

    public int layerStart() {
        return slice.layerStart();
    }

    /** Exclusive. */
    public int layerEnd() {
        return slice.layerEnd();
    }

    public Assignment assignment() {
        return new Assignment(node, slice, memory);
    }
}
