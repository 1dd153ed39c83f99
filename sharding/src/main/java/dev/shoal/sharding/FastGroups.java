package dev.shoal.sharding;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups of nodes in which every pair is fast-linked: the candidates for tensor parallelism inside a hybrid plan.
 * Every pair, not just a path, because the all-reduce sums every rank's partial on every rank, so a group is only as
 * fast as its slowest pair. Greedy over the nodes in planner order (most free memory first): each node joins the
 * first group whose every member it is fast to, else starts a new one. Finding the fewest such groups is NP-hard in
 * general; fleets are a handful of machines and links cluster (one Thunderbolt bridge, one switch), where greedy is
 * exact.
 */
final class FastGroups {

    private FastGroups() {
    }

    static List<List<NodeCapability>> of(List<NodeCapability> ordered, LinkMatrix links, PlannerSettings settings) {
        List<List<NodeCapability>> groups = new ArrayList<>();
        for (NodeCapability n : ordered) {
            List<NodeCapability> home = null;
            for (List<NodeCapability> g : groups) {
                if (g.stream().allMatch(m -> links.isFast(m.node(), n.node(), settings))) {
                    home = g;
                    break;
                }
            }
            if (home == null) {
                home = new ArrayList<>();
                groups.add(home);
            }
            home.add(n);
        }
        return groups.stream().map(List::copyOf).toList();
    }

    /** How the pairs among {@code nodes} link: all fast, none fast, or some of each. */
    enum Kind { ALL_FAST, NONE_FAST, MIXED }

    static Kind kind(List<NodeCapability> nodes, LinkMatrix links, PlannerSettings settings) {
        int fast = 0;
        int pairs = 0;
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                pairs++;
                if (links.isFast(nodes.get(i).node(), nodes.get(j).node(), settings)) {
                    fast++;
                }
            }
        }
        return fast == pairs ? Kind.ALL_FAST : fast == 0 ? Kind.NONE_FAST : Kind.MIXED;
    }
}
