package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import java.util.Objects;

/** One node's part of any plan, in the engine's terms: the slice it loads and the memory that takes. */
public record Assignment(NodeId node, Slice slice, MemoryNeed memory) {

    public Assignment {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(memory, "memory");
    }
}
