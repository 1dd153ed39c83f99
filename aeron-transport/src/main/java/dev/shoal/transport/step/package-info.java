/**
 * The step plane: one model instance spread over several nodes, driven one forward step at a time over Aeron with
 * no actor or mailbox per step.
 *
 * <ul>
 *   <li>{@link dev.shoal.transport.step.InstanceWiring} — plain data (instance number, stage sizes, each
 *       position's {@link dev.shoal.transport.step.DataAddress}) from which every node derives the same endpoints;
 *       stream ids by {@link dev.shoal.transport.step.StreamIds} per
 *       {@link dev.shoal.transport.step.StreamPurpose}.</li>
 *   <li>{@link dev.shoal.transport.step.StepDescriptor} — one step's rows (token, position, slot, cache capacity,
 *       want-logits) or a stop, one small Aeron frame, encoded and decoded in place.</li>
 *   <li>{@link dev.shoal.transport.step.DistributedStepModel} — position 0, the supervisor's
 *       {@link dev.shoal.tensor.model.StepModel}: publishes each descriptor, runs its slice, receives the logits.</li>
 *   <li>{@link dev.shoal.transport.step.ShardRuntime} — every other position: a thread that runs its slice for
 *       each descriptor and reports through a callback why it ended.</li>
 * </ul>
 */
package dev.shoal.transport.step;
