package dev.shoal.sharding;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How good a plan is, for deciding whether to move a running model. Compared in this order:
 * <ol>
 *   <li>fewer pipeline stages — each stage is a network hop every token waits on;</li>
 *   <li>more copies — replicas serve requests side by side;</li>
 *   <li>more headroom — the free memory left on the tightest node, as a fraction of that node's free memory; more
 *       room for longer contexts, bigger batches and other models. Only a gain of at least
 *       {@link PlannerSettings#minHeadroomGain()} counts, because moving reloads weights.</li>
 * </ol>
 *
 * @param headroom {@code min over nodes of (free − need) ÷ free}; negative when some node lacks the memory, and
 *                 {@link Double#NEGATIVE_INFINITY} when a node of the plan is gone
 */
public record PlanScore(int stages, int copies, double headroom) {

    public static PlanScore of(Placement.Plan plan, Map<NodeId, NodeCapability> nodes) {
        double headroom = Double.POSITIVE_INFINITY;
        for (Assignment a : plan.assignments()) {
            NodeCapability n = nodes.get(a.node());
            double room = n == null ? Double.NEGATIVE_INFINITY
                    : n.freeBytes() == 0 ? Double.NEGATIVE_INFINITY
                    : (n.freeBytes() - a.memory().total()) / (double) n.freeBytes();
            headroom = Math.min(headroom, room);
        }
        return new PlanScore(plan.stageCount(), plan.copies(), headroom);
    }

    /** Why {@code this} beats {@code other}, or empty when it does not. */
    public Optional<String> betterThan(PlanScore other, double minHeadroomGain) {
        if (stages != other.stages) {
            return stages < other.stages
                    ? Optional.of("fewer pipeline stages (" + stages + " instead of " + other.stages + ")")
                    : Optional.empty();
        }
        if (copies != other.copies) {
            return copies > other.copies
                    ? Optional.of("more replicas (" + copies + " instead of " + other.copies + ")")
                    : Optional.empty();
        }
        if (headroom >= other.headroom + minHeadroomGain) {
            return Optional.of("more memory headroom on the tightest node (" + percent(headroom) + " instead of "
                    + percent(other.headroom) + ")");
        }
        return Optional.empty();
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f %%", fraction * 100);
    }
}
