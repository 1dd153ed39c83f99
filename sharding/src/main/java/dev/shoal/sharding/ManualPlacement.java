package dev.shoal.sharding;

import java.util.List;

/**
 * Slices pinned to nodes by the user (MLX-style full control). When not empty it overrides the planner: the planner
 * only checks it — the slices tile the model exactly (every layer once per copy; within a stage every KV head, FFN
 * column and vocabulary row once), the nodes exist, cuts fall on block edges, and every node has the memory.
 * Pins that are each the whole model make replicas.
 */
public record ManualPlacement(List<Pin> pins) {

    /** Nothing pinned: the planner chooses. */
    public static final ManualPlacement NONE = new ManualPlacement(List.of());

    public ManualPlacement {
        pins = List.copyOf(pins);
    }

    public static ManualPlacement of(Pin... pins) {
        return new ManualPlacement(List.of(pins));
    }

    public boolean isEmpty() {
        return pins.isEmpty();
    }
}
