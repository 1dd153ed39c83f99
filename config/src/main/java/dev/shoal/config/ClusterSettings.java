package dev.shoal.config;

import java.time.Duration;
import java.util.List;

/**
 * How this node takes part in the cluster ({@code shoal.cluster}). Seed nodes are not here: they stay Pekko's own
 * {@code pekko.cluster.seed-nodes}, so Pekko's documentation applies to them unchanged.
 *
 * @param nodeName    the name other nodes, logs and JMX show for this node; empty = derived from the Pekko (Artery)
 *                    host and port once the node has started ({@code 127.0.0.1:25520})
 * @param roles       Pekko cluster roles this node has, besides those Pekko and Shoal add themselves
 * @param bootstrap   whether to find the other nodes through Pekko Management Cluster Bootstrap
 * @param dataHost    the address peers reach this node's Aeron data plane on
 * @param dataPort    this node's Aeron UDP data port; 0 = a free one picked at start
 * @param peerTimeout how long the data plane waits for a peer before it gives up on it
 * @param idle        how data-plane threads wait: {@code adaptive} (yield while exchanging, then park),
 *                    {@code backoff} (parks) or {@code yielding} (never parks; a busy core per waiting thread)
 * @param aeronDir    the directory of a media driver shared by the nodes of this host ({@code shoal driver}); empty
 *                    = the node runs its own embedded driver
 */
public record ClusterSettings(String nodeName, List<String> roles, BootstrapSettings bootstrap, String dataHost,
                              int dataPort, Duration peerTimeout, String idle, String aeronDir) {

    public ClusterSettings {
        roles = List.copyOf(roles);
    }

    /** Whether {@link #nodeName} is to be derived from the node's Pekko address. */
    public boolean derivesNodeName() {
        return nodeName.isEmpty();
    }
}
