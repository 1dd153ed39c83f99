package dev.shoal.sharding;

import dev.shoal.sharding.Placement.Rejection;
import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.tensor.model.Slice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Checks a manual placement and turns it into a plan. The user's slices are taken as given — the planner only
 * refuses what the engine could not run: unknown or repeated nodes, slices outside the model, layers not covered
 * exactly once, a stage whose ranks do not cover every KV head, FFN column and vocabulary row exactly once, cuts off
 * block edges, and nodes without the memory.
 */
final class ManualCheck {

    private ManualCheck() {
    }

    static Placement check(ModelShape model, List<NodeCapability> nodes, PlacementRequest request,
                           PlannerSettings settings) {
        Map<NodeId, NodeCapability> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.node(), n));
        List<Pin> pins = request.manual().pins();
        Set<NodeId> pinned = new HashSet<>();
        for (Pin p : pins) {
            if (!byId.containsKey(p.node())) {
                return invalid("manual placement names node " + p.node() + ", which is not in the cluster");
            }
            if (!pinned.add(p.node())) {
                return invalid("manual placement pins node " + p.node() + " twice");
            }
            Slice s = p.slice();
            if (s.layerEnd() > model.layers() || s.kvHeadEnd() > model.kvHeads() || s.ffnEnd() > model.ffnDim()
                    || s.vocabEnd() > model.vocab()) {
                return invalid("node " + p.node() + "'s " + s + " exceeds " + model.name() + " ("
                        + model.layers() + " layers, " + model.kvHeads() + " KV heads, FFN " + model.ffnDim()
                        + ", vocab " + model.vocab() + ")");
            }
        }
        Slice whole = model.wholeSlice();
        boolean replicas = pins.stream().allMatch(p -> p.slice().equals(whole));
        Optional<String> tiling = replicas ? Optional.empty() : tiling(model, pins);
        if (tiling.isPresent()) {
            return invalid(tiling.get());
        }
        for (Pin p : pins) {
            Optional<String> cut = TensorSplit.whyNotLoadable(model, p.node(), p.slice());
            if (cut.isPresent()) {
                return new Rejection(cut.get(), Cause.DIVISIBILITY);
            }
        }
        Map<NodeId, MemoryNeed> needs = new HashMap<>();
        for (Pin p : pins) {
            MemoryNeed need = RankMemory.of(model, p.slice(), request.contextLength(), request.maxBatch(),
                    settings.overheadBytes());
            long free = byId.get(p.node()).freeBytes();
            if (need.total() > free) {
                int decimals = Gib.decimalsToTell(need.total(), free);
                return new Rejection("manual placement does not fit: node " + p.node() + " needs "
                        + need.describe(decimals) + " for " + p.slice() + ", and it has " + Gib.of(free, decimals)
                        + " free", Cause.MEMORY);
            }
            needs.put(p.node(), need);
        }
        if (replicas) {
            return new Placement.Replicas(pins.stream().map(Pin::node).toList(), whole,
                    needs.get(pins.getFirst().node()));
        }
        return build(pins, needs);
    }

    /** Why the pins do not tile the model, or empty. */
    private static Optional<String> tiling(ModelShape model, List<Pin> pins) {
        TreeMap<Long, List<Pin>> stages = byLayerRange(pins);
        int covered = 0;
        Pin previous = null;
        for (List<Pin> stage : stages.values()) {
            Pin first = stage.getFirst();
            Slice s = first.slice();
            if (s.layerStart() < covered) {
                return Optional.of("manual placement overlaps: node " + previous.node() + " holds layers "
                        + previous.slice().layerStart() + ".." + previous.slice().layerEnd() + " and node "
                        + first.node() + " holds layers " + s.layerStart() + ".." + s.layerEnd());
            }
            if (s.layerStart() > covered) {
                return Optional.of("manual placement leaves layers " + covered + ".." + s.layerStart()
                        + " uncovered");
            }
            String where = "stage layers " + s.layerStart() + ".." + s.layerEnd();
            Optional<String> problem = covers(where, "KV heads", stage, model.kvHeads(),
                    p -> p.slice().kvHeadStart(), p -> p.slice().kvHeadEnd())
                    .or(() -> covers(where, "FFN columns", stage, model.ffnDim(),
                            p -> p.slice().ffnStart(), p -> p.slice().ffnEnd()))
                    .or(() -> covers(where, "vocabulary rows", stage, model.vocab(),
                            p -> p.slice().vocabStart(), p -> p.slice().vocabEnd()));
            if (problem.isPresent()) {
                return problem;
            }
            covered = s.layerEnd();
            previous = first;
        }
        if (covered < model.layers()) {
            return Optional.of("manual placement leaves layers " + covered + ".." + model.layers() + " uncovered");
        }
        return Optional.empty();
    }

    /** Pins grouped by exact layer range, ordered by start then end. */
    private static TreeMap<Long, List<Pin>> byLayerRange(List<Pin> pins) {
        TreeMap<Long, List<Pin>> stages = new TreeMap<>();
        for (Pin p : pins) {
            long key = ((long) p.slice().layerStart() << 32) | p.slice().layerEnd();
            stages.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        }
        return stages;
    }

    /** Why one dimension of a stage's ranks does not cover {@code [0, total)} exactly once, or empty. */
    private static Optional<String> covers(String where, String what, List<Pin> stage, int total,
                                           ToIntFunction<Pin> start, ToIntFunction<Pin> end) {
        List<Pin> sorted = stage.stream().sorted(Comparator.comparingInt(start).thenComparingInt(end)).toList();
        int covered = 0;
        Pin previous = null;
        for (Pin p : sorted) {
            if (start.applyAsInt(p) < covered) {
                return Optional.of(where + ": " + what + " " + start.applyAsInt(previous) + ".."
                        + end.applyAsInt(previous) + " (node " + previous.node() + ") and " + start.applyAsInt(p)
                        + ".." + end.applyAsInt(p) + " (node " + p.node() + ") overlap");
            }
            if (start.applyAsInt(p) > covered) {
                return Optional.of(where + " leaves " + what + " " + covered + ".." + start.applyAsInt(p)
                        + " uncovered");
            }
            covered = end.applyAsInt(p);
            previous = p;
        }
        if (covered < total) {
            return Optional.of(where + " leaves " + what + " " + covered + ".." + total + " uncovered");
        }
        return Optional.empty();
    }

    /** Stages in layer order, ranks in KV-head order (the order the all-reduce sums them). */
    private static Placement build(List<Pin> pins, Map<NodeId, MemoryNeed> needs) {
        List<List<Rank>> stages = new ArrayList<>();
        for (List<Pin> stage : byLayerRange(pins).values()) {
            stages.add(stage.stream()
                    .sorted(Comparator.comparingInt((Pin p) -> p.slice().kvHeadStart())
                            .thenComparingInt(p -> p.slice().ffnStart())
                            .thenComparingInt(p -> p.slice().vocabStart()))
                    .map(p -> new Rank(p.node(), p.slice(), needs.get(p.node())))
                    .toList());
        }
        if (stages.size() == 1) {
            return new Placement.Tensor(stages.getFirst());
        }
        if (stages.stream().allMatch(s -> s.size() == 1)) {
            return new Placement.Pipeline(stages.stream()
                    .map(s -> new Stage(s.getFirst().node(), s.getFirst().slice(), s.getFirst().memory())).toList());
        }
        return new Placement.Hybrid(stages);
    }

    private static Rejection invalid(String reason) {
        return new Rejection(reason, Cause.INVALID_MANUAL);
    }
}
