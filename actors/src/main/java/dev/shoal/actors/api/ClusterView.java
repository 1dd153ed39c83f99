package dev.shoal.actors.api;

import java.util.concurrent.CompletionStage;

/**
 * The cluster as the HTTP layer shows it: what is ({@code GET /cluster/state}) and what a placement of a model would
 * be ({@code GET /cluster/placement/preview}). Thread-safe; neither call blocks.
 */
public interface ClusterView {

    /** Members, their capabilities, and the model instances placed over them, as this node knows them now. */
    CompletionStage<ClusterState> state();

    /**
     * What placing {@code model} would do on the current members, without loading anything.
     *
     * @param mode {@code auto} (the planner's choice), {@code replicas}, {@code pipeline}, {@code tensor} or
     *             {@code hybrid}; null means the node's configured mode ({@code shoal.placement.mode})
     * @return the plan or the planner's explained rejection; a model no member holds and an unknown mode are
     *         {@link PlacementPreview.Unavailable}
     */
    CompletionStage<PlacementPreview> preview(String model, String mode);

    /**
     * The directory whose model files this node lends to peers that hold a slice of a model without having its
     * file ({@code GET /cluster/model-file}); null when it lends none.
     */
    default java.nio.file.Path modelsDir() {
        return null;
    }
}
