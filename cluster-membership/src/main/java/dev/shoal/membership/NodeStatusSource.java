package dev.shoal.membership;

import java.util.List;

/**
 * What this node does, as the JMX bean {@code dev.shoal:type=Node} shows it beside the membership. Membership does not
 * know placements or throughput; the module that does (actors) implements this and hands it to
 * {@link Membership#statusSource}. Every method is called from JMX threads at any time, so implementations return a
 * snapshot quickly and never block. Until one is set, {@link #none()} answers with empty values.
 */
public interface NodeStatusSource {

    /** One line per member: what it offers the planner (e.g. {@link NodeProfile#line()}). */
    default List<String> capabilities() {
        return List.of();
    }

    /** One line per placed model instance: the model, its mode and which node holds which slice. */
    default List<String> placements() {
        return List.of();
    }

    /** One line per weight slice loaded on this node. */
    default List<String> loadedSlices() {
        return List.of();
    }

    /** Tokens generated per second on this node, averaged over a recent window. */
    default double tokensPerSecond() {
        return 0;
    }

    /** Bytes of this node's memory budget held by loaded weights and KV caches (for {@link NodeProfile#usedBytes}). */
    default long usedBytes() {
        return 0;
    }

    /** The source in use before another module sets one: nothing placed, nothing loaded, nothing generated. */
    static NodeStatusSource none() {
        return None.INSTANCE;
    }

    /** The empty source. */
    enum None implements NodeStatusSource {
        INSTANCE
    }
}
