package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/**
 * Two actor systems with no seed nodes find each other through Pekko Management Cluster Bootstrap, the contact points
 * listed by the {@code config} discovery method (the default Shoal picks when none is configured), both management
 * endpoints on 127.0.0.1 — the case STACK.md P9 is about.
 */
class BootstrapJoinTest {

    @Test
    void twoNodesShouldFormAClusterThroughBootstrapWithTheConfigDiscoveryMethod() {
        int mA = FreePorts.tcp();
        int mB = FreePorts.tcp();
        Config endpoints = ConfigFactory.parseString("pekko.discovery.config.services.shoal.endpoints = ["
                + "{host = \"127.0.0.1\", port = " + mA + "}, {host = \"127.0.0.1\", port = " + mB + "}]");
        ActorSystem<Void> sa = TestNodes.system(TestNodes.bootstrapNode(FreePorts.tcp(), mA, endpoints));
        ActorSystem<Void> sb = TestNodes.system(TestNodes.bootstrapNode(FreePorts.tcp(), mB, endpoints));
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
