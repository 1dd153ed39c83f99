package dev.shoal.membership.mdns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.JoinMethod;
import dev.shoal.membership.Membership;
import dev.shoal.membership.testkit.Await;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.Lookup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mDNS for real, on the loopback interface only (every JmDNS here binds to 127.0.0.1, so nothing is sent on a LAN):
 * two nodes of one JVM announce their management endpoints and form a cluster through bootstrap with
 * {@code discovery-method = shoal-mdns}. Skipped where loopback multicast does not come back.
 */
class MdnsDiscoveryTest {

    @BeforeAll
    static void loopbackMulticastMustWork() {
        assumeTrue(LoopbackMulticast.works(), "multicast on the loopback interface does not loop back here");
    }

    static Config node(int artery, int management) {
        return ConfigFactory.parseString("""
                pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method = shoal-mdns
                pekko.discovery.shoal-mdns.bind-hostname = "127.0.0.1"
                """).withFallback(TestNodes.bootstrapNode(artery, management, ConfigFactory.empty()));
    }

    @Test
    void twoNodesShouldFindEachOtherByMdnsAndFormACluster() {
        int mA = FreePorts.tcp();
        int mB = FreePorts.tcp();
        ActorSystem<Void> sa = TestNodes.system(node(FreePorts.tcp(), mA));
        ActorSystem<Void> sb = TestNodes.system(node(FreePorts.tcp(), mB));
        try {
            Membership ma = Membership.start(sa, TestNodes.settings(sa.settings().config()), 8080);
            Membership.start(sb, TestNodes.settings(sb.settings().config()), 8081);
            assertEquals(new JoinMethod.Bootstrap("shoal-mdns", "http://127.0.0.1:" + mA), ma.joinMethod());
            // the method Pekko loaded by name is this module's
            MdnsServiceDiscovery mdnsA = assertInstanceOf(MdnsServiceDiscovery.class,
                    Discovery.get(sa).loadServiceDiscovery("shoal-mdns"));

            Set<String> both = Set.of("127.0.0.1:" + mA, "127.0.0.1:" + mB);
            Await.until(Duration.ofSeconds(20), () -> endpoints(mdnsA).equals(both), () -> "a resolves "
                    + endpoints(mdnsA));
            TestNodes.awaitUp(sa, 2, Duration.ofSeconds(30));
            TestNodes.awaitUp(sb, 2, Duration.ofSeconds(30));
            assertEquals(Set.of(), endpoints(mdnsA, "another-cluster"), "instances carry their cluster's name");
        } finally {
            TestNodes.terminate(sb, sa);
        }
    }

    private static Set<String> endpoints(MdnsServiceDiscovery d) {
        return endpoints(d, "shoal");
    }

    private static Set<String> endpoints(MdnsServiceDiscovery d, String service) {
        List<String> found = d.lookup(Lookup.create(service), Duration.ofSeconds(1)).toCompletableFuture().join()
                .getAddresses().stream().map(t -> t.host() + ":" + t.getPort().orElseThrow()).toList();
        return found.stream().collect(Collectors.toSet());
    }
}
