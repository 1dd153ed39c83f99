package dev.shoal.membership;

import dev.shoal.config.ClusterSettings;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Member;

/**
 * How a member's node name is known on every node without a message exchange: a configured name travels as the Pekko
 * role {@code node=NAME} (roles are part of the membership gossip); a node without one is called by its Artery
 * {@code host:port}, which every other node can read off the member's address just as well.
 */
public final class NodeNames {

    /** The prefix of the role that carries a configured node name. */
    public static final String ROLE_PREFIX = "node=";

    private NodeNames() {
    }

    /** The node name of any member, as every node computes it alike. */
    public static String of(Member member) {
        for (String role : member.getRoles()) {
            if (role.startsWith(ROLE_PREFIX)) {
                return role.substring(ROLE_PREFIX.length());
            }
        }
        return hostPort(member.address());
    }

    /** This node's name: the configured one, else its Artery {@code host:port} (known once the system runs). */
    public static String self(ClusterSettings settings, Address selfAddress) {
        return settings.derivesNodeName() ? hostPort(selfAddress) : settings.nodeName();
    }

    /** The role a configured name needs, to be set before the actor system starts; empty for a derived name. */
    static Optional<String> role(ClusterSettings settings) {
        return settings.derivesNodeName() ? Optional.empty() : Optional.of(ROLE_PREFIX + settings.nodeName());
    }

    /** A member's roles as a person wants to read them: without the name role, sorted. */
    public static List<String> visibleRoles(Member member) {
        return member.getRoles().stream().filter(r -> !r.startsWith(ROLE_PREFIX)).sorted().toList();
    }

    static String hostPort(Address address) {
        String host = address.getHost().orElse("local");
        int port = address.getPort().orElse(0);
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
