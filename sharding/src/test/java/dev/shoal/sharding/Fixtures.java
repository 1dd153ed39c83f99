package dev.shoal.sharding;

import dev.shoal.tensor.model.Architecture;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticShape;
import java.util.ArrayList;
import java.util.List;

/** Model shapes and fleets the planner tests share: Llama 1B/8B/70B and Macs of 16–64 GiB. */
final class Fixtures {

    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    /** Llama 3.1 70B's published hyper-parameters (too big for a file in tests). */
    static final SyntheticShape LLAMA_70B = new SyntheticShape("llama-3.1-70b", Architecture.LLAMA, 8192, 80, 64, 8,
            128, 28672, 128256, 131072, 500000f, 8f, false);

    static final Link THUNDERBOLT = new Link(60, 2_500_000_000L);
    static final Link GIGABIT = new Link(300, 117_000_000L);
    static final Link WIFI = new Link(3_000, 40_000_000L);

    static final Planner PLANNER = Planner.withDefaults();

    private Fixtures() {
    }

    static ModelShape llama1b(GgmlType type) {
        return ModelShape.synthetic(SyntheticShape.named("llama-3.2-1b"), type);
    }

    static ModelShape llama8b(GgmlType type) {
        return ModelShape.synthetic(SyntheticShape.named("llama-3.1-8b"), type);
    }

    static ModelShape llama70b(GgmlType type) {
        return ModelShape.synthetic(LLAMA_70B, type);
    }

    /** dim 256, 2 layers, 4 heads over 2 KV heads of 64, FFN 768, vocabulary 512 — the quant-vectors model. */
    static ModelShape tiny(GgmlType type) {
        return ModelShape.synthetic(SyntheticShape.named("tiny"), type);
    }

    /** Every fixture model's file name: the fixture fleets have all of them on disk unless a test says otherwise. */
    static final java.util.Set<String> ALL_FILES = java.util.Set.of("llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b",
            "tiny");

    /** A node with nothing used that has every fixture model's file. */
    static NodeCapability node(String id, double gib) {
        return new NodeCapability(NodeId.of(id), (long) (gib * GIB), 0, 1, ALL_FILES);
    }

    /** A node with nothing used and no model file: it may take slices of a split (fetching them), no replica. */
    static NodeCapability withoutFiles(String id, double gib) {
        return NodeCapability.of(id, (long) (gib * GIB));
    }

    /** Nodes mac-a, mac-b, … with these budgets in GiB, nothing used, every fixture model's file on each. */
    static List<NodeCapability> macs(double... gib) {
        List<NodeCapability> nodes = new ArrayList<>();
        for (int i = 0; i < gib.length; i++) {
            nodes.add(node("mac-" + (char) ('a' + i), gib[i]));
        }
        return nodes;
    }

    static NodeId id(String value) {
        return NodeId.of(value);
    }

    static List<NodeId> ids(String... values) {
        return java.util.Arrays.stream(values).map(NodeId::of).toList();
    }

    static List<NodeId> ids(List<NodeCapability> nodes) {
        return nodes.stream().map(NodeCapability::node).toList();
    }

    /** 8k context, one sequence — or the model's whole context when it is shorter (the tiny models' 512). */
    static PlacementRequest request(ModelShape model, PlacementMode mode) {
        return PlacementRequest.of(mode, Math.min(8192, model.context()), 1);
    }

    static Placement plan(ModelShape model, List<NodeCapability> nodes, LinkMatrix links, PlacementMode mode) {
        return PLANNER.plan(model, nodes, links, request(model, mode));
    }

    /** Layer ranges of a pipeline as {start, end} pairs. */
    static List<List<Integer>> layerRanges(Placement.Pipeline p) {
        return p.stages().stream().map(s -> List.of(s.layerStart(), s.layerEnd())).toList();
    }
}
