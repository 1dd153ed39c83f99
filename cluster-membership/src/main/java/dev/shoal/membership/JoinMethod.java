package dev.shoal.membership;

import java.util.List;

/** How this node went about joining a cluster, for the start-up log and for tests. */
public sealed interface JoinMethod {

    /** Pekko joins the first seed node that answers ({@code pekko.cluster.seed-nodes}). */
    record SeedNodes(List<String> seeds) implements JoinMethod {
        public SeedNodes {
            seeds = List.copyOf(seeds);
        }
    }

    /**
     * Pekko Management listens at {@code managementUri} and Cluster Bootstrap looks for contact points with
     * {@code discoveryMethod}.
     */
    record Bootstrap(String discoveryMethod, String managementUri) implements JoinMethod {
    }

    /** No seed nodes and no bootstrap: the node joined itself, a cluster of one that others may join. */
    record SelfJoin(String address) implements JoinMethod {
    }
}
