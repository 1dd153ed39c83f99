package dev.shoal.sharding;

import java.util.Objects;

/**
 * A cluster node's identity. Its own type (exo's rule) so that a node id cannot be passed where a model or request
 * id is expected. Ordered by value so that every tie the planner breaks is broken the same way on every node.
 */
public record NodeId(String value) implements Comparable<NodeId> {

    public NodeId {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a node id must not be blank");
        }
    }

    public static NodeId of(String value) {
        return new NodeId(value);
    }

    @Override
    public int compareTo(NodeId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
