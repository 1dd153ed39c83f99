package dev.shoal.sharding;

import java.util.Objects;

/**
 * What to place the model for.
 *
 * @param contextLength tokens of KV cache per sequence
 * @param maxBatch      sequences decoded together, each with its own KV cache
 * @param manual        pinned slices that override {@code mode}, or {@link ManualPlacement#NONE}
 */
public record PlacementRequest(PlacementMode mode, int contextLength, int maxBatch, ManualPlacement manual) {

    public PlacementRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(manual, "manual");
        if (contextLength <= 0 || maxBatch <= 0) {
            throw new IllegalArgumentException("context length " + contextLength + " and batch " + maxBatch
                    + " must be positive");
        }
    }

    public static PlacementRequest of(PlacementMode mode, int contextLength, int maxBatch) {
        return new PlacementRequest(mode, contextLength, maxBatch, ManualPlacement.NONE);
    }

    public static PlacementRequest auto(int contextLength, int maxBatch) {
        return of(PlacementMode.AUTO, contextLength, maxBatch);
    }

    public static PlacementRequest manual(ManualPlacement manual, int contextLength, int maxBatch) {
        return new PlacementRequest(PlacementMode.AUTO, contextLength, maxBatch, manual);
    }

    public boolean isManual() {
        return !manual.isEmpty();
    }
}
