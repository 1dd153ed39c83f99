package dev.shoal.actors.cluster;

import dev.shoal.tensor.model.Slice;
import dev.shoal.transport.step.InstanceWiring;
import java.util.List;

/**
 * What one shard worker loads and how it connects: the instance's id, the model file (by name, in the worker
 * node's models directory), the Pekko address of the node the plan puts this position on, every position's slice
 * in stage-major order (position 0 is the supervisor's), the Aeron wiring of all positions, the instance's engine
 * limits, the memory the plan reserved for this position (weights and KV cache), and — when the worker's node has
 * no copy of the file — the HTTP API of a node that has one, to fetch the slice's bytes from (empty otherwise).
 */
public record ShardSpec(String instanceId, String model, String fileName, String nodeAddress, int position,
                        List<Slice> slices,
                        InstanceWiring wiring, int context, int maxBatch, int maxQueue, long reservedBytes,
                        String fetchFrom) {

    public ShardSpec {
        slices = List.copyOf(slices);
        fetchFrom = fetchFrom == null ? "" : fetchFrom;
        if (position < 0 || position >= slices.size()) {
            throw new IllegalArgumentException("position " + position + " of " + slices.size());
        }
    }

    public Slice slice() {
        return slices.get(position);
    }

    /** The sharding entity id of this position: one entity (and one shard) per position of an instance. */
    public String entityId() {
        return entityId(instanceId, position);
    }

    public static String entityId(String instanceId, int position) {
        return instanceId + "~" + position;
    }
}
