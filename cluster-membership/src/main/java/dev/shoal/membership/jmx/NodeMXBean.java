package dev.shoal.membership.jmx;

/**
 * {@code dev.shoal:type=Node,name=NODE}: this node's view of the cluster and what it runs, as open types (strings,
 * string arrays, a double) that any JMX client reads without Shoal's classes.
 */
public interface NodeMXBean {

    String getNodeName();

    /** One line per member, in address order: {@code NAME ADDRESS STATUS roles=[...]}. */
    String[] getMembers();

    /** The members this node's failure detector cannot reach, in the same form. */
    String[] getUnreachable();

    /** {@code NAME ADDRESS} of the leader, or empty while there is none. */
    String getLeader();

    /** What each member offers, one line per member. */
    String[] getCapabilities();

    /** The model instances placed over the cluster, one line each. */
    String[] getPlacements();

    /** The weight slices loaded on this node, one line each. */
    String[] getLoadedSlices();

    double getTokensPerSecond();
}
