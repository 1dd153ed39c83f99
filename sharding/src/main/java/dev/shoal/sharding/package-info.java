/**
 * The placement planner: a pure function from a model's shape ({@link dev.shoal.sharding.ModelShape}), the nodes'
 * free memory ({@link dev.shoal.sharding.NodeCapability}), the measured links
 * ({@link dev.shoal.sharding.LinkMatrix}) and a {@link dev.shoal.sharding.PlacementRequest} to a
 * {@link dev.shoal.sharding.Placement}: replicas, a pipeline, a tensor split or a hybrid — each node's
 * {@link dev.shoal.tensor.model.Slice} and memory — or a rejection that says what is missing, in GiB.
 *
 * <p>{@link dev.shoal.sharding.Planner} is the entry point; {@link dev.shoal.sharding.PlanDiff} decides whether a
 * running model should move to a new plan. Nothing here does I/O (except reading a GGUF header in
 * {@link dev.shoal.sharding.ModelShape#of}), keeps state or uses Pekko: the coordinator calls it, any node can call
 * it to preview, and tests call it from tables.
 *
 * <p>Layer ranges are half-open, {@code [start, end)}, as in {@code Slice} and exo v1.
 */
package dev.shoal.sharding;
