package dev.shoal.membership.jmx;

import dev.shoal.membership.NodeNames;
import dev.shoal.membership.NodeStatusSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The {@link NodeMXBean}: membership read from Pekko's current cluster state at each call, the rest from the
 * {@link NodeStatusSource} in use at that moment.
 */
public final class NodeBean implements NodeMXBean {

    private final String nodeName;
    private final ActorSystem<?> system;
    private final Supplier<NodeStatusSource> status;

    public NodeBean(String nodeName, ActorSystem<?> system, Supplier<NodeStatusSource> status) {
        this.nodeName = nodeName;
        this.system = system;
        this.status = status;
    }

    /**
     * {@code NAME ADDRESS STATUS roles=[...]}, e.g. {@code node-a pekko://shoal@127.0.0.1:25520 Up roles=[dc-default]}.
     */
    public static String line(Member m) {
        return NodeNames.of(m) + " " + m.address() + " " + m.status() + " roles=" + NodeNames.visibleRoles(m);
    }

    private ClusterEvent.CurrentClusterState state() {
        return Cluster.get(system).state();
    }

    @Override
    public String getNodeName() {
        return nodeName;
    }

    @Override
    public String[] getMembers() {
        List<String> out = new ArrayList<>();
        for (Member m : state().getMembers()) {
            out.add(line(m));
        }
        return out.toArray(String[]::new);
    }

    @Override
    public String[] getUnreachable() {
        return state().getUnreachable().stream()
                .sorted((a, b) -> Member.addressOrdering().compare(a.address(), b.address()))
                .map(NodeBean::line).toArray(String[]::new);
    }

    @Override
    public String getLeader() {
        ClusterEvent.CurrentClusterState s = state();
        Address leader = s.getLeader();
        if (leader == null) {
            return "";
        }
        for (Member m : s.getMembers()) {
            if (m.address().equals(leader)) {
                return NodeNames.of(m) + " " + leader;
            }
        }
        return leader.toString();
    }

    @Override
    public String[] getCapabilities() {
        return status.get().capabilities().toArray(String[]::new);
    }

    @Override
    public String[] getPlacements() {
        return status.get().placements().toArray(String[]::new);
    }

    @Override
    public String[] getLoadedSlices() {
        return status.get().loadedSlices().toArray(String[]::new);
    }

    @Override
    public double getTokensPerSecond() {
        return status.get().tokensPerSecond();
    }
}
