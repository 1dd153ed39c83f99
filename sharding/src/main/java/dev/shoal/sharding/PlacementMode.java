package dev.shoal.sharding;

/** How a request asks the planner to split a model. */
public enum PlacementMode {
    /** The planner chooses: replicas when one node holds the model, else tensor, pipeline or hybrid by the links. */
    AUTO,
    /** The whole model on every node that can hold it. */
    REPLICAS,
    /** Contiguous layer ranges, one per node, sized by free memory. */
    PIPELINE,
    /** Every layer split by KV-head groups, FFN columns and vocabulary rows, one rank per node. */
    TENSOR,
    /** Tensor groups inside groups of fast-linked nodes, a pipeline across the groups. */
    HYBRID
}
