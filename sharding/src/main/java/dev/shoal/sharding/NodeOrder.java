package dev.shoal.sharding;

import java.util.Comparator;
import java.util.List;

/**
 * The order in which the planner considers nodes: most free memory first; among equals, one that already has the
 * model file (it need not fetch weights), then more cores, then the node id — so every tie breaks the same way.
 */
final class NodeOrder {

    private NodeOrder() {
    }

    static Comparator<NodeCapability> forModel(String modelFile) {
        return Comparator.comparingLong(NodeCapability::freeBytes).reversed()
                .thenComparing(n -> !n.hasModelFile(modelFile))
                .thenComparing(Comparator.comparingInt(NodeCapability::cores).reversed())
                .thenComparing(NodeCapability::node);
    }

    static List<NodeCapability> sorted(List<NodeCapability> nodes, String modelFile) {
        return nodes.stream().sorted(forModel(modelFile)).toList();
    }
}
