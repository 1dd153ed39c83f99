package dev.shoal.sharding;

/** "1 node", "3 nodes" — rejection messages are read by people. */
final class Plural {

    private Plural() {
    }

    static String nodes(int n) {
        return n == 1 ? "1 node" : n + " nodes";
    }

    /** "the 1 node has", "the 3 nodes have". */
    static String theNodesHave(int n) {
        return n == 1 ? "the 1 node has" : "the " + n + " nodes have";
    }
}
