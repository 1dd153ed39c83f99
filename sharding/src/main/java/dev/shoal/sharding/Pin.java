package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import java.util.Objects;

/** One slice a user pins to one node in a manual placement. */
public record Pin(NodeId node, Slice slice) {

    public Pin {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slice, "slice");
    }
}
