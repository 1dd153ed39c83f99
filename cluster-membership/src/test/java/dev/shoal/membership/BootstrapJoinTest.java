package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/**
 * Two actor systems with no seed nodes find each other through Pekko Management Cluster Bootstrap, the contact points
 * listed by the {@code config} discovery method (the default Shoal picks when none is configured), both management
 * endpoints on 127.0.0.1 — the case STACK.md P9 is about.
 */
class BootstrapJoinTest {

    /** Bootstrap's own pace shortened: probe every 200 ms, form a cluster after 1 s without change. */
    static Config bootstrapPace() {
        return ConfigFactory.parseString("""
                pekko.management.cluster.bootstrap {
                  contact-point-discovery { interval = 200 ms, stable-margin = 1 s }
                  contact-point { probe-interval = 200 ms }
                }
                """);
    }

    static Config node(int artery, int management, Config discovery) {
        return ConfigFactory.parseMap(Map.of(
                        "shoal.cluster.bootstrap.enabled", true,
                        "pekko.management.http.hostname", "127.0.0.1",
                        "pekko.management.http.port", management))
                .withFallback(discovery)
                .withFallback(bootstrapPace())
                .withFallback(TestNodes.pekko(artery, List.of()));
    }

    @Test
    void twoNodesShouldFormAClusterThroughBootstrapWithTheConfigDiscoveryMethod() {
        int mA = FreePorts.tcp();
        int mB = FreePorts.tcp();
        Config endpoints = ConfigFactory.parseString("pekko.discovery.config.services.shoal.endpoints = ["
                + "{host = \"127.0.0.1\", port = " + mA + "}, {host = \"127.0.0.1\", port = " + mB + "}]");
        ActorSystem<Void> sa = TestNodes.system(node(FreePorts.tcp(), mA, endpoints));
        ActorSystem<Void> sb = TestNodes.system(node(FreePorts.tcp(), mB, endpoints));
        try {
            Membership ma = Membership.start(sa, TestNodes.settings(sa.settings().config()), 8080);
            Membership mb = Membership.start(sb, TestNodes.settings(sb.settings().config()), 8081);
            assertEquals(new JoinMethod.Bootstrap("config", "http://127.0.0.1:" + mA), ma.joinMethod());
            assertEquals(new JoinMethod.Bootstrap("config", "http://127.0.0.1:" + mB), mb.joinMethod());
            TestNodes.awaitUp(sa, 2, Duration.ofSeconds(30));
            TestNodes.awaitUp(sb, 2, Duration.ofSeconds(30));
        } finally {
            TestNodes.terminate(sb, sa);
        }
    }
}
