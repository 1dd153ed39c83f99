package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.jmx.NodeBean;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/** Two actor systems in this JVM, real Artery TCP on 127.0.0.1, joined through {@code pekko.cluster.seed-nodes}. */
class SeedNodeJoinTest {

    @Test
    void twoNodesShouldFormAClusterThroughSeedNodesAndKnowEachOthersNames() {
        int portA = FreePorts.tcp();
        int portB = FreePorts.tcp();
        List<String> seeds = List.of(TestNodes.address(portA));
        // a is named in its config (the name travels as a role); b goes by its host:port
        Config a = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "node-a",
                "shoal.cluster.roles", List.of("gpu"))).withFallback(TestNodes.pekko(portA, seeds));
        Config b = TestNodes.pekko(portB, seeds);
        ActorSystem<Void> sa = TestNodes.system(a);
        ActorSystem<Void> sb = TestNodes.system(b);
        try {
            Membership ma = Membership.start(sa, TestNodes.settings(sa.settings().config()), 8080);
            Membership mb = Membership.start(sb, TestNodes.settings(sb.settings().config()), 8081);
            assertEquals(new JoinMethod.SeedNodes(seeds), ma.joinMethod());
            assertInstanceOf(JoinMethod.SeedNodes.class, mb.joinMethod());
            assertEquals("node-a", ma.nodeName());
            assertEquals("127.0.0.1:" + portB, mb.nodeName());

            TestNodes.awaitUp(sa, 2, Duration.ofSeconds(20));
            TestNodes.awaitUp(sb, 2, Duration.ofSeconds(20));

            List<String> expected = List.of(
                    "node-a pekko://shoal@127.0.0.1:" + portA + " Up roles=[dc-default, gpu]",
                    "127.0.0.1:" + portB + " pekko://shoal@127.0.0.1:" + portB + " Up roles=[dc-default]");
            // address order, so sort the expectation the same way
            List<String> sorted = portA < portB ? expected : expected.reversed();
            NodeBean viewFromB = new NodeBean(mb.nodeName(), sb, mb::statusSource);
            assertEquals(sorted, List.of(viewFromB.getMembers()));
            assertEquals(sorted, List.of(new NodeBean(ma.nodeName(), sa, ma::statusSource).getMembers()));
            assertEquals(0, viewFromB.getUnreachable().length);
        } finally {
            TestNodes.terminate(sb, sa);
        }
    }
}
