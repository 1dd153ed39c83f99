package dev.shoal.actors.api;

import java.util.List;

/**
 * A snapshot of the cluster.
 *
 * @param self      this node's name
 * @param leader    the leader's node name, or null while there is none
 * @param members   every member Pekko knows, in address order
 * @param instances every model instance the placement coordinator runs
 * @param links     the links measured between members, each pair once
 */
public record ClusterState(String self, String leader, List<Member> members, List<Instance> instances,
                           List<Link> links) {

    public ClusterState {
        members = List.copyOf(members);
        instances = List.copyOf(instances);
        links = List.copyOf(links);
    }

    /** Without link measurements. */
    public ClusterState(String self, String leader, List<Member> members, List<Instance> instances) {
        this(self, leader, members, instances, List.of());
    }

    /**
     * A measured link between two nodes (Aeron link probe over their data ports): the median round trip of a small
     * message and the one-way throughput of 64 KiB messages, and when it was measured (epoch milliseconds).
     */
    public record Link(String a, String b, double roundTripMicros, double bytesPerSecond, long measuredAtMillis) {
    }

    /**
     * @param status       Pekko's member status, lower case ({@code up}, {@code joining}, {@code leaving}, ...)
     * @param capabilities what the node offers, or null before it has said
     */
    public record Member(String node, String address, String status, boolean reachable, List<String> roles,
                         Capabilities capabilities) {
        public Member {
            roles = List.copyOf(roles);
        }
    }

    /** What a node offers the planner. */
    public record Capabilities(long memoryBudgetBytes, long usedBytes, int cores, List<String> modelFiles) {
        public Capabilities {
            modelFiles = List.copyOf(modelFiles);
        }
    }

    /**
     * One placed model.
     *
     * @param mode   {@code replicas}, {@code pipeline}, {@code tensor} or {@code hybrid}
     * @param state  {@code loading}, {@code ready} or {@code failed}
     * @param detail    why it failed, or null
     * @param transport how its positions exchange data: {@code ipc} (all on one host's shared media driver),
     *                  {@code udp}, or {@code none} (a whole model on one node)
     */
    public record Instance(String model, String mode, String state, List<Slice> slices, String detail,
                           String transport) {
        public Instance {
            slices = List.copyOf(slices);
        }
    }

    /**
     * One node's part of an instance.
     *
     * @param stage pipeline stage (0 for replicas and pure tensor)
     * @param rank  tensor rank within the stage (0 for replicas and pipeline)
     * @param slice the slice in the engine's notation (layers, KV heads, FFN columns, vocabulary rows)
     * @param bytes memory the slice takes with its KV cache
     * @param weightsFrom null when the node reads the slice from its own copy of the model file; else the node it
     *                    fetches the slice's bytes from (empty when no node that has the file is reachable)
     */
    public record Slice(String node, int stage, int rank, String slice, long bytes, String weightsFrom) {
    }
}
