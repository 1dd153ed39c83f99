package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import java.util.Objects;

/**
 * A tensor-parallel rank: one node holding its KV-head groups, FFN columns and vocabulary rows of a layer range.
 * Ranks are listed in rank order, the order in which the all-reduce sums partials.
 */
public record Rank(NodeId node, Slice slice, MemoryNeed memory) {

    public Rank {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(memory, "memory");
    }

    public Assignment assignment() {
        return new Assignment(node, slice, memory);
    }
}
