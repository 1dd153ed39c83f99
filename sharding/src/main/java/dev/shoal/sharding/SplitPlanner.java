package dev.shoal.sharding;

import dev.shoal.sharding.LayerSplitter.Member;
import dev.shoal.sharding.Placement.Rejection;
import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.tensor.model.Slice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Builds the multi-node plans. All three are the same thing — units in pipeline order, each unit a tensor-parallel
 * group of one or more nodes — so one routine places them: a pipeline is units of one node, a tensor plan is one
 * unit of every node, a hybrid is anything between.
 */
final class SplitPlanner {

    /** The plan shape to build; a subset of {@link PlacementMode}. */
    enum Shape { PIPELINE, TENSOR, HYBRID }

    private SplitPlanner() {
    }

    static Placement place(ModelShape model, List<List<NodeCapability>> units, PlacementRequest request,
                           PlannerSettings settings, Shape shape) {
        int nodeCount = units.stream().mapToInt(List::size).sum();
        if (units.size() > model.layers()) {
            return new Rejection(model.name() + " has " + model.layers() + " layers, too few for " + units.size()
                    + " pipeline stages", Cause.TOO_FEW_LAYERS);
        }
        List<List<Member>> members = new ArrayList<>();
        for (List<NodeCapability> unit : units) {
            Optional<String> problem = unit.size() > 1 ? TensorSplit.whyNot(model, unit.size()) : Optional.empty();
            if (problem.isPresent()) {
                return new Rejection(problem.get(), Cause.DIVISIBILITY);
            }
            List<Slice> parts = unit.size() > 1 ? TensorSplit.parts(model, unit.size()) : List.of(model.wholeSlice());
            List<RankMemory> memories = parts.stream().map(part -> new RankMemory(model, part,
                    request.contextLength(), request.maxBatch(), settings.overheadBytes())).toList();
            int[] nodeOfPart = largestPartsToMostFree(unit, memories);
            List<Member> group = new ArrayList<>();
            for (int r = 0; r < unit.size(); r++) {
                group.add(new Member(unit.get(nodeOfPart[r]), memories.get(r)));
            }
            members.add(group);
        }
        int[] bounds = LayerSplitter.split(members, model.layers());

        List<List<Rank>> stages = new ArrayList<>();
        Member worst = null;
        double worstUse = 0;
        int worstStart = 0;
        int worstEnd = 0;
        for (int i = 0; i < members.size(); i++) {
            List<Rank> ranks = new ArrayList<>();
            for (Member m : members.get(i)) {
                MemoryNeed need = m.memory().need(bounds[i], bounds[i + 1]);
                double use = need.total() / (double) m.node().freeBytes();
                if (use > worstUse) {
                    worst = m;
                    worstUse = use;
                    worstStart = bounds[i];
                    worstEnd = bounds[i + 1];
                }
                ranks.add(new Rank(m.node().node(), m.memory().template().withLayers(bounds[i], bounds[i + 1]), need));
            }
            stages.add(ranks);
        }
        if (worstUse > 1) {
            MemoryNeed need = worst.memory().need(worstStart, worstEnd);
            Slice part = worst.memory().template().withLayers(worstStart, worstEnd);
            int decimals = Gib.decimalsToTell(need.total(), worst.node().freeBytes());
            return new Rejection("no " + name(shape) + " over the " + Plural.nodes(nodeCount)
                    + " fits: the best split gives node " + worst.node().node() + " " + describe(part, shape)
                    + ", which needs " + need.describe(decimals) + ", and it has "
                    + Gib.of(worst.node().freeBytes(), decimals) + " free", Cause.MEMORY);
        }
        return switch (shape) {
            case PIPELINE -> new Placement.Pipeline(stages.stream()
                    .map(g -> new Stage(g.getFirst().node(), g.getFirst().slice(), g.getFirst().memory())).toList());
            case TENSOR -> new Placement.Tensor(stages.getFirst());
            case HYBRID -> new Placement.Hybrid(stages);
        };
    }

    /**
     * Which node (index into {@code unit}, most free first) takes each part. Uneven splits (8 KV heads over 3 ranks
     * are 2 + 3 + 3) give the bigger parts to the nodes with more free memory; nodes with equal free memory keep the
     * parts in rank order, so an even fleet reads a, b, c. Ranks stay listed in part order — the order of their KV
     * heads, and of the all-reduce sum.
     */
    private static int[] largestPartsToMostFree(List<NodeCapability> unit, List<RankMemory> parts) {
        int n = parts.size();
        Integer[] bySize = new Integer[n];
        for (int i = 0; i < n; i++) {
            bySize[i] = i;
        }
        int layers = parts.getFirst().template().layerEnd();
        Arrays.sort(bySize, Comparator
                .comparingLong((Integer i) -> -parts.get(i).total(0, layers)).thenComparingInt(i -> i));
        int[] partOfNode = new int[n];
        for (int i = 0; i < n; i++) {
            partOfNode[i] = bySize[i];
        }
        // among nodes with equal free memory, hand out their parts in rank order
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && unit.get(j).freeBytes() == unit.get(i).freeBytes()) {
                j++;
            }
            Arrays.sort(partOfNode, i, j);
            i = j;
        }
        int[] nodeOfPart = new int[n];
        for (int node = 0; node < n; node++) {
            nodeOfPart[partOfNode[node]] = node;
        }
        return nodeOfPart;
    }

    private static String name(Shape shape) {
        return switch (shape) {
            case PIPELINE -> "pipeline";
            case TENSOR -> "tensor split";
            case HYBRID -> "hybrid";
        };
    }

    private static String describe(Slice s, Shape shape) {
        String layers = "layers " + s.layerStart() + ".." + s.layerEnd();
        return switch (shape) {
            case PIPELINE -> layers;
            case TENSOR, HYBRID -> layers + ", KV heads " + s.kvHeadStart() + ".." + s.kvHeadEnd();
        };
    }
}
