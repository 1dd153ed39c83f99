package dev.shoal.sharding;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Measured links between pairs of nodes. Immutable; {@link #with} returns a new matrix. A pair that has not been
 * measured is unknown, and the planner treats unknown as slow: a tensor-parallel group over a link nobody measured
 * could make every token wait on Wi-Fi, while a pipeline over a fast link only wastes a little speed.
 */
public final class LinkMatrix {

    private static final LinkMatrix EMPTY = new LinkMatrix(Map.of());

    /** Unordered pair, stored with the smaller id first. */
    private record Pair(NodeId first, NodeId second) implements Comparable<Pair> {
        static Pair of(NodeId a, NodeId b) {
            return a.compareTo(b) <= 0 ? new Pair(a, b) : new Pair(b, a);
        }

        @Override
        public int compareTo(Pair o) {
            int c = first.compareTo(o.first);
            return c != 0 ? c : second.compareTo(o.second);
        }
    }

    private final Map<Pair, Link> links;

    private LinkMatrix(Map<Pair, Link> links) {
        this.links = links;
    }

    /** No link measured. */
    public static LinkMatrix empty() {
        return EMPTY;
    }

    /** The same link between every pair of {@code nodes}. */
    public static LinkMatrix uniform(Collection<NodeId> nodes, Link link) {
        LinkMatrix m = EMPTY;
        List<NodeId> list = List.copyOf(nodes);
        for (int i = 0; i < list.size(); i++) {
            for (int j = i + 1; j < list.size(); j++) {
                m = m.with(list.get(i), list.get(j), link);
            }
        }
        return m;
    }

    /** This matrix with the link between {@code a} and {@code b} set (replacing an earlier measure). */
    public LinkMatrix with(NodeId a, NodeId b, Link link) {
        if (a.equals(b)) {
            throw new IllegalArgumentException("a link joins two different nodes, got " + a + " twice");
        }
        TreeMap<Pair, Link> copy = new TreeMap<>(links);
        copy.put(Pair.of(a, b), link);
        return new LinkMatrix(copy);
    }

    /** The measured link between two nodes, if any. */
    public Optional<Link> between(NodeId a, NodeId b) {
        return Optional.ofNullable(links.get(Pair.of(a, b)));
    }

    /** Whether tensor parallelism may span {@code a}–{@code b}: a node is always fast to itself; unknown is slow. */
    public boolean isFast(NodeId a, NodeId b, PlannerSettings settings) {
        return a.equals(b) || between(a, b).map(l -> l.isFast(settings)).orElse(false);
    }

    /** How many pairs are measured. */
    public int size() {
        return links.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LinkMatrix m && links.equals(m.links);
    }

    @Override
    public int hashCode() {
        return links.hashCode();
    }

    @Override
    public String toString() {
        return "LinkMatrix" + links;
    }
}
