package dev.shoal.sharding;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Whether to move a model from its current placement to a freshly planned one — a pure decision, so the coordinator
 * can make it between requests and a test can make it from a table.
 *
 * <p>Adopt when nothing is placed yet, when the current plan lost a node or no longer fits a node's memory (it must
 * move), or when the new plan is strictly better by {@link PlanScore}. Otherwise keep: moving reloads weights and
 * replays requests, and two plans that score alike are not worth that.
 *
 * @param changed nodes whose slice changes (added, removed or different) if the new plan is adopted; empty unless
 *                {@code decision} is {@code ADOPT}. The others keep their weights loaded.
 */
public record PlanDiff(Decision decision, String reason, List<NodeId> changed) {

    public enum Decision {
        /** Move to the new plan. */
        ADOPT,
        /** Stay on the current plan. */
        KEEP,
        /** The current plan cannot go on and no new plan fits: the model must stop, with {@code reason}. */
        UNPLACEABLE
    }

    public PlanDiff {
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(reason, "reason");
        changed = List.copyOf(changed);
    }

    /**
     * @param nodes the live nodes, with free memory as the planner sees it (this model's own current use left out)
     */
    public static PlanDiff compare(Placement current, Placement candidate, List<NodeCapability> nodes,
                                   PlannerSettings settings) {
        Map<NodeId, NodeCapability> live = new HashMap<>();
        nodes.forEach(n -> live.put(n.node(), n));
        String broken = switch (current) {
            case Placement.Rejection r -> "nothing is placed (" + r.reason() + ")";
            case Placement.Plan p -> brokenBy(p, live);
        };
        return switch (candidate) {
            case Placement.Rejection r -> broken != null
                    ? new PlanDiff(Decision.UNPLACEABLE, broken + "; no new plan fits: " + r.reason(), List.of())
                    : new PlanDiff(Decision.KEEP, "no new plan fits (" + r.reason() + ")", List.of());
            case Placement.Plan next -> {
                if (broken != null) {
                    yield new PlanDiff(Decision.ADOPT, broken, changed(current, next));
                }
                Placement.Plan now = (Placement.Plan) current;
                if (now.equals(next)) {
                    yield new PlanDiff(Decision.KEEP, "the new plan is the current one", List.of());
                }
                PlanScore nextScore = PlanScore.of(next, live);
                PlanScore nowScore = PlanScore.of(now, live);
                yield nextScore.betterThan(nowScore, settings.minHeadroomGain())
                        .map(better -> new PlanDiff(Decision.ADOPT, better, changed(now, next)))
                        .orElseGet(() -> new PlanDiff(Decision.KEEP, "the new plan is not strictly better ("
                                + nextScore + " against " + nowScore + ")", List.of()));
            }
        };
    }

    /** Why a running plan cannot go on, or null. */
    private static String brokenBy(Placement.Plan plan, Map<NodeId, NodeCapability> live) {
        TreeSet<NodeId> lost = new TreeSet<>();
        for (Assignment a : plan.assignments()) {
            if (!live.containsKey(a.node())) {
                lost.add(a.node());
            }
        }
        if (!lost.isEmpty()) {
            return "the current plan lost node" + (lost.size() == 1 ? " " : "s ") + String.join(", ",
                    lost.stream().map(NodeId::value).toList());
        }
        for (Assignment a : plan.assignments()) {
            NodeCapability n = live.get(a.node());
            if (a.memory().total() > n.freeBytes()) {
                return "the current plan no longer fits node " + a.node() + " (needs " + Gib.of(a.memory().total())
                        + ", " + Gib.of(n.freeBytes()) + " free)";
            }
        }
        return null;
    }

    /** Nodes whose assignment differs between the plans, in id order. */
    private static List<NodeId> changed(Placement current, Placement.Plan next) {
        Map<NodeId, Assignment> before = new HashMap<>();
        if (current instanceof Placement.Plan p) {
            p.assignments().forEach(a -> before.put(a.node(), a));
        }
        Map<NodeId, Assignment> after = new HashMap<>();
        next.assignments().forEach(a -> after.put(a.node(), a));
        TreeSet<NodeId> changed = new TreeSet<>();
        before.forEach((node, a) -> {
            Assignment b = after.get(node);
            if (b == null || !b.slice().equals(a.slice())) {
                changed.add(node);
            }
        });
        after.forEach((node, a) -> {
            if (!before.containsKey(node)) {
                changed.add(node);
            }
        });
        return List.copyOf(changed);
    }
}
