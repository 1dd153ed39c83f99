package dev.shoal.sharding;

import dev.shoal.sharding.Placement.Rejection;
import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.sharding.SplitPlanner.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The placement planner: a pure function of (model shape, node capabilities, measured links, request) to a
 * {@link Placement}. Same input, same plan — on every node, so any node can preview what the coordinator would do.
 *
 * <p>Modes:
 * <ul>
 *   <li>{@code REPLICAS}: the whole model on every node that has its file and can hold it, most free memory
 *       first;</li>
 *   <li>{@code PIPELINE}: one stage per node, contiguous layer ranges sized by free memory;</li>
 *   <li>{@code TENSOR}: one rank per node over every layer, if the split divides (see {@link TensorSplit});</li>
 *   <li>{@code HYBRID}: tensor groups of mutually fast-linked nodes ({@link FastGroups}), a pipeline across the
 *       groups; a group that would not divide is cut into smaller groups that do;</li>
 *   <li>{@code AUTO}: replicas on every node that fits, if any does. Otherwise the <em>fewest</em> nodes, taken most
 *       free first, whose links allow a parallel plan that divides and fits — all links fast → tensor, some fast
 *       → hybrid; failing that, a pipeline on the fewest nodes that hold one. Fewest, as exo does, because each
 *       extra stage adds a hop to every token and each extra rank two all-reduces per layer, and because it leaves
 *       the other nodes for other models.</li>
 * </ul>
 * The explicit modes use every node given — the caller chose them. A manual placement in the request overrides the
 * mode and is only checked ({@link ManualCheck}).
 */
public final class Planner {

    private final PlannerSettings settings;

    public Planner(PlannerSettings settings) {
        this.settings = settings;
    }

    public static Planner withDefaults() {
        return new Planner(PlannerSettings.DEFAULTS);
    }

    public PlannerSettings settings() {
        return settings;
    }

    public Placement plan(ModelShape model, List<NodeCapability> nodes, LinkMatrix links, PlacementRequest request) {
        Optional<Rejection> invalid = validate(model, nodes, request);
        if (invalid.isPresent()) {
            return invalid.get();
        }
        if (request.isManual()) {
            return ManualCheck.check(model, nodes, request, settings);
        }
        List<NodeCapability> ordered = NodeOrder.sorted(nodes, model.name());
        return switch (request.mode()) {
            case AUTO -> auto(model, ordered, links, request);
            case REPLICAS -> replicas(model, ordered, request);
            case PIPELINE -> split(model, singletons(ordered), request, Shape.PIPELINE);
            case TENSOR -> split(model, List.of(ordered), request, Shape.TENSOR);
            case HYBRID -> split(model, hybridUnits(model, ordered, links), request, Shape.HYBRID);
        };
    }

    /** An explicit multi-node mode over every node: the plainest rejection first, then the split itself. */
    private Placement split(ModelShape model, List<List<NodeCapability>> units, PlacementRequest request,
                            Shape shape) {
        List<NodeCapability> all = units.stream().flatMap(List::stream).toList();
        if (all.size() == 1 && !all.getFirst().hasModelFile(model.name())) {
            // one node holds it all: that is a whole copy, which runs from the node's own file
            return replicas(model, all, request);
        }
        Optional<Rejection> tooLittle = shortfall(model, all, request);
        if (tooLittle.isPresent()) {
            return tooLittle.get();
        }
        return SplitPlanner.place(model, units, request, settings, shape);
    }

    private Optional<Rejection> validate(ModelShape model, List<NodeCapability> nodes, PlacementRequest request) {
        if (nodes.isEmpty()) {
            return Optional.of(new Rejection("no nodes to place " + model.name() + " on", Cause.NO_NODES));
        }
        Set<NodeId> seen = new HashSet<>();
        for (NodeCapability n : nodes) {
            if (!seen.add(n.node())) {
                return Optional.of(new Rejection("node " + n.node() + " is listed twice", Cause.INVALID_REQUEST));
            }
        }
        if (request.contextLength() > model.context()) {
            return Optional.of(new Rejection("a context of " + request.contextLength() + " tokens exceeds "
                    + model.name() + "'s trained context of " + model.context(), Cause.INVALID_REQUEST));
        }
        return Optional.empty();
    }

    private Placement auto(ModelShape model, List<NodeCapability> ordered, LinkMatrix links, PlacementRequest request) {
        Placement replicas = replicas(model, ordered, request);
        if (replicas instanceof Placement.Plan) {
            return replicas;
        }
        Optional<Rejection> overall = shortfall(model, ordered, request);
        if (overall.isPresent()) {
            return overall.get();
        }
        // Parallel plans first, on the fewest nodes that hold one: over fast links every node computing every token
        // beats a serial pipeline, even one on fewer nodes.
        for (int k = 2; k <= ordered.size(); k++) {
            List<NodeCapability> candidates = ordered.subList(0, k);
            if (shortfall(model, candidates, request).isPresent()) {
                continue;
            }
            Placement parallel = switch (FastGroups.kind(candidates, links, settings)) {
                case ALL_FAST -> TensorSplit.whyNot(model, k).isPresent() ? null
                        : SplitPlanner.place(model, List.of(candidates), request, settings, Shape.TENSOR);
                case MIXED -> {
                    List<List<NodeCapability>> units = hybridUnits(model, candidates, links);
                    Shape shape = units.size() == 1 ? Shape.TENSOR
                            : units.stream().allMatch(u -> u.size() == 1) ? Shape.PIPELINE : Shape.HYBRID;
                    yield SplitPlanner.place(model, units, request, settings, shape);
                }
                case NONE_FAST -> null;
            };
            if (parallel instanceof Placement.Plan) {
                return parallel;
            }
        }
        // Then a pipeline, which replicates nothing but the per-node overhead, so it fits where nothing else does.
        Placement last = replicas;
        for (int k = 2; k <= ordered.size(); k++) {
            List<NodeCapability> candidates = ordered.subList(0, k);
            if (shortfall(model, candidates, request).isPresent()) {
                continue;
            }
            last = SplitPlanner.place(model, singletons(candidates), request, settings, Shape.PIPELINE);
            if (last instanceof Placement.Plan) {
                return last;
            }
        }
        return last;
    }

    /**
     * Every node that has the model file and can hold a whole copy, most free first. A replica runs from the node's
     * own file (a node without it may take a slice of a split, fetching the slice's bytes, but not a whole copy).
     */
    private Placement replicas(ModelShape model, List<NodeCapability> ordered, PlacementRequest request) {
        MemoryNeed need = RankMemory.of(model, model.wholeSlice(), request.contextLength(), request.maxBatch(),
                settings.overheadBytes());
        List<NodeCapability> holders = ordered.stream().filter(n -> n.hasModelFile(model.name())).toList();
        if (holders.isEmpty()) {
            return new Rejection("a whole copy of " + model.name() + " runs from a node's own file, and "
                    + (ordered.size() == 1 ? "the node does not have it" : "none of the " + ordered.size()
                    + " nodes has it"), Cause.NO_NODES);
        }
        List<NodeId> fit = holders.stream().filter(n -> n.freeBytes() >= need.total()).map(NodeCapability::node)
                .toList();
        if (fit.isEmpty()) {
            NodeCapability most = holders.getFirst();
            int decimals = Gib.decimalsToTell(need.total(), most.freeBytes());
            return new Rejection("no node can hold a whole copy of " + model.name() + ": it needs "
                    + need.describe(decimals) + ", the most free is " + Gib.of(most.freeBytes(), decimals) + " on "
                    + most.node(), Cause.MEMORY);
        }
        return new Placement.Replicas(fit, model.wholeSlice(), need);
    }

    /**
     * The nodes' free memory summed is less than the model needs split across all of them: its weights once, its
     * whole KV cache once, the overhead once per node. No split can do better, so this is the plainest rejection.
     */
    private Optional<Rejection> shortfall(ModelShape model, List<NodeCapability> nodes, PlacementRequest request) {
        long kv = (long) model.layers() * model.kvHeads()
                * model.kvBytesPerLayerHead(request.contextLength(), request.maxBatch());
        MemoryNeed need = new MemoryNeed(model.weightBytes(), kv, settings.overheadBytes() * nodes.size());
        long free = nodes.stream().mapToLong(NodeCapability::freeBytes).sum();
        if (free >= need.total()) {
            return Optional.empty();
        }
        int decimals = Gib.decimalsToTell(need.total(), free);
        return Optional.of(new Rejection(model.name() + " needs " + need.describe(decimals) + ", "
                + Plural.theNodesHave(nodes.size()) + " " + Gib.of(free, decimals) + " free", Cause.MEMORY));
    }

    private static List<List<NodeCapability>> singletons(List<NodeCapability> nodes) {
        return nodes.stream().map(List::of).toList();
    }

    /** Fast-linked groups, each cut into the largest leading parts that divide the model. */
    private List<List<NodeCapability>> hybridUnits(ModelShape model, List<NodeCapability> ordered, LinkMatrix links) {
        List<List<NodeCapability>> units = new ArrayList<>();
        for (List<NodeCapability> group : FastGroups.of(ordered, links, settings)) {
            int i = 0;
            while (i < group.size()) {
                int r = group.size() - i;
                while (r > 1 && TensorSplit.whyNot(model, r).isPresent()) {
                    r--;
                }
                units.add(group.subList(i, i + r));
                i += r;
            }
        }
        return units;
    }
}
