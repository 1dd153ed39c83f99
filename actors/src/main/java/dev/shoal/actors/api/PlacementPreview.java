package dev.shoal.actors.api;

import java.util.List;

/** The answer to a placement preview. */
public sealed interface PlacementPreview {

    String model();

    /** The planner found a placement: every node's slice and memory. */
    record Plan(String model, String mode, List<ClusterState.Slice> slices, String description)
            implements PlacementPreview {
        public Plan {
            slices = List.copyOf(slices);
        }
    }

    /** The planner's explained refusal ({@code cause}: memory, divisibility, too_few_layers, ...). */
    record Rejected(String model, String reason, String cause) implements PlacementPreview {
    }

    /** Nothing to plan: no member holds the model, or the request is malformed. */
    record Unavailable(String model, String reason) implements PlacementPreview {
    }
}
