package dev.shoal.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shoal.tensor.model.Slice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * What every plan must satisfy, checked from the outside: each copy of the model covers every layer once; within a
 * layer range the ranks cover every KV head, FFN column and vocabulary row once; cuts fall on block edges; no node
 * is used twice; every node's stated memory is what the memory model says and fits its free memory.
 */
final class PlanInvariants {

    private PlanInvariants() {
    }

    static void check(ModelShape model, List<NodeCapability> nodes, PlacementRequest request,
                      PlannerSettings settings, Placement.Plan plan) {
        Map<NodeId, NodeCapability> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.node(), n));
        Set<NodeId> used = new HashSet<>();
        for (Assignment a : plan.assignments()) {
            assertTrue(used.add(a.node()), "node used twice: " + a.node() + " in " + plan);
            NodeCapability n = byId.get(a.node());
            assertTrue(n != null, "unknown node " + a.node());
            MemoryNeed expected = RankMemory.of(model, a.slice(), request.contextLength(), request.maxBatch(),
                    settings.overheadBytes());
            assertEquals(expected, a.memory(), "memory of " + a.node());
            assertTrue(a.memory().total() <= n.freeBytes(), a.node() + " needs " + a.memory().total() + ", has "
                    + n.freeBytes() + " in " + plan);
            assertTrue(TensorSplit.whyNotLoadable(model, a.node(), a.slice()).isEmpty(), "off-block cut " + a);
        }
        switch (plan) {
            case Placement.Replicas r -> r.assignments().forEach(a -> assertEquals(model.wholeSlice(), a.slice()));
            case Placement.Pipeline p -> {
                p.stages().forEach(s -> assertEquals(model.stageSlice(s.layerStart(), s.layerEnd()), s.slice()));
                coversOnce(model, plan.assignments());
            }
            case Placement.Tensor t -> {
                t.ranks().forEach(r -> assertEquals(0, r.slice().layerStart()));
                t.ranks().forEach(r -> assertEquals(model.layers(), r.slice().layerEnd()));
                coversOnce(model, plan.assignments());
            }
            case Placement.Hybrid h -> {
                for (List<Rank> stage : h.stages()) {
                    stage.forEach(r -> assertEquals(stage.getFirst().slice().layerStart(), r.slice().layerStart()));
                    stage.forEach(r -> assertEquals(stage.getFirst().slice().layerEnd(), r.slice().layerEnd()));
                }
                coversOnce(model, plan.assignments());
            }
        }
    }

    /** One copy of the model, cut into stages of ranks, covers everything exactly once. */
    static void coversOnce(ModelShape model, List<Assignment> assignments) {
        TreeMap<Integer, List<Slice>> stages = new TreeMap<>();
        for (Assignment a : assignments) {
            stages.computeIfAbsent(a.slice().layerStart(), k -> new ArrayList<>()).add(a.slice());
        }
        int layer = 0;
        for (List<Slice> stage : stages.values()) {
            Slice first = stage.getFirst();
            assertEquals(layer, first.layerStart(), "layers must continue at " + layer + ": " + assignments);
            for (Slice s : stage) {
                assertEquals(first.layerEnd(), s.layerEnd(), "ranks of a stage share layers: " + stage);
            }
            tiles(stage, model.kvHeads(), Slice::kvHeadStart, Slice::kvHeadEnd, "KV heads");
            tiles(stage, model.ffnDim(), Slice::ffnStart, Slice::ffnEnd, "FFN columns");
            tiles(stage, model.vocab(), Slice::vocabStart, Slice::vocabEnd, "vocabulary rows");
            layer = first.layerEnd();
        }
        assertEquals(model.layers(), layer, "layers must end at " + model.layers() + ": " + assignments);
    }

    private static void tiles(List<Slice> stage, int total, ToIntFunction<Slice> start, ToIntFunction<Slice> end,
                              String what) {
        int covered = 0;
        for (Slice s : stage.stream().sorted(Comparator.comparingInt(start)).toList()) {
            if (start.applyAsInt(s) != covered) {
                fail(what + " not tiled at " + covered + ": " + stage);
            }
            assertTrue(end.applyAsInt(s) > start.applyAsInt(s), "empty " + what + " range in " + s);
            covered = end.applyAsInt(s);
        }
        assertEquals(total, covered, what + " must end at " + total + ": " + stage);
    }
}
