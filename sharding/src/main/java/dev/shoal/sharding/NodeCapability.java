package dev.shoal.sharding;

import java.util.Objects;
import java.util.Set;

/**
 * What a node offers the planner.
 *
 * @param memoryBudgetBytes what Shoal may use on the node in all (weights, KV cache, buffers)
 * @param usedBytes         what is already taken from that budget by other placements; the planner counts only the
 *                          difference as free. When re-planning a model, the caller leaves that model's own current
 *                          use out of this figure, so that the current and the new plan are measured alike
 * @param cores             compute threads; only a tie-breaker today
 * @param modelFiles        model file names present on the node's disk; a node that already has the file is preferred
 *                          over an equally free one, since it need not fetch the weights
 */
public record NodeCapability(NodeId node, long memoryBudgetBytes, long usedBytes, int cores, Set<String> modelFiles) {

    public NodeCapability {
        Objects.requireNonNull(node, "node");
        if (memoryBudgetBytes < 0 || usedBytes < 0 || cores < 0) {
            throw new IllegalArgumentException("node " + node + ": memory budget " + memoryBudgetBytes + ", used "
                    + usedBytes + " and cores " + cores + " must not be negative");
        }
        modelFiles = Set.copyOf(modelFiles);
    }

    /** A node with nothing used and no model files, for tests and previews. */
    public static NodeCapability of(String node, long memoryBudgetBytes) {
        return new NodeCapability(NodeId.of(node), memoryBudgetBytes, 0, 1, Set.of());
    }

    /** The budget not yet used; never negative (a node over budget has nothing free). */
    public long freeBytes() {
        return Math.max(0, memoryBudgetBytes - usedBytes);
    }

    public boolean hasModelFile(String fileName) {
        return modelFiles.contains(fileName);
    }
}
