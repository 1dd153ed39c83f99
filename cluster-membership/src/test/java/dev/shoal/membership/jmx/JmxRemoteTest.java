package dev.shoal.membership.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.Membership;
import dev.shoal.membership.MembershipException;
import dev.shoal.membership.NodeStatusSource;
import dev.shoal.membership.testkit.ChildJvm;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/** Membership of a 2-node cluster read over remote JMX by a client in another JVM. */
class JmxRemoteTest {

    @Test
    void aJmxClientInAnotherProcessShouldReadTheMembershipOfATwoNodeCluster() throws Exception {
        int portA = FreePorts.tcp();
        int portB = FreePorts.tcp();
        int jmxPort = FreePorts.tcp();
        List<String> seeds = List.of(TestNodes.address(portA));
        Config a = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "node-a",
                "shoal.jmx.remote.enabled", true, "shoal.jmx.remote.port", jmxPort))
                .withFallback(TestNodes.pekko(portA, seeds));
        Config b = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "node-b"))
                .withFallback(TestNodes.pekko(portB, seeds));
        ActorSystem<Void> sa = TestNodes.system(a);
        ActorSystem<Void> sb = TestNodes.system(b);
        try {
            Membership ma = Membership.start(sa, TestNodes.settings(sa.settings().config()), 8080);
            Membership.start(sb, TestNodes.settings(sb.settings().config()), 8081);
            ma.statusSource(new NodeStatusSource() {
                @Override
                public double tokensPerSecond() {
                    return 12.5;
                }
            });
            assertEquals("service:jmx:rmi://127.0.0.1:" + jmxPort + "/jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi",
                    ma.jmxServiceUrl().orElseThrow());
            TestNodes.awaitUp(sa, 2, Duration.ofSeconds(20));
            TestNodes.awaitUp(sb, 2, Duration.ofSeconds(20));

            List<String> out;
            try (ChildJvm probe = ChildJvm.start(JmxProbe.class, List.of(), ma.jmxServiceUrl().orElseThrow())) {
                probe.awaitLine("done"::equals, Duration.ofSeconds(30));
                out = probe.stdout();
            }
            String memberA = "node-a pekko://shoal@127.0.0.1:" + portA + " Up roles=[dc-default]";
            String memberB = "node-b pekko://shoal@127.0.0.1:" + portB + " Up roles=[dc-default]";
            String members = portA < portB ? memberA + " | " + memberB : memberB + " | " + memberA;
            // both nodes run in the test JVM, so the probe sees both beans of each kind
            String leader = portA < portB ? "node-a pekko://shoal@127.0.0.1:" + portA
                    : "node-b pekko://shoal@127.0.0.1:" + portB;
            assertTrue(out.contains("shoal node-a | " + members + " | leader " + leader + " | tokens/s 12.5"),
                    out.toString());
            assertTrue(out.contains("shoal node-b | " + members + " | leader " + leader + " | tokens/s 0.0"),
                    out.toString());
            List<String> pekko = out.stream().filter(l -> l.startsWith("pekko ")).toList();
            assertEquals(2, pekko.size(), out.toString());
            for (String line : pekko) {
                assertTrue(line.contains("pekko://shoal@127.0.0.1:" + portA)
                        && line.contains("pekko://shoal@127.0.0.1:" + portB), line);
            }
        } finally {
            TestNodes.terminate(sb, sa);
        }
        // the bean and the connector went with the actor system
        assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(Membership.objectName("node-a")));
        try (ServerSocket free = new ServerSocket(jmxPort)) {
            assertEquals(jmxPort, free.getLocalPort());
        }
    }

    @Test
    void aTakenJmxPortShouldFailStartWithOneLineNamingTheKeysAndLeaveNothingRegistered() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            Config a = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "node-x",
                    "shoal.jmx.remote.enabled", true, "shoal.jmx.remote.port", port))
                    .withFallback(TestNodes.pekko(0, List.of()));
            ActorSystem<Void> s = TestNodes.system(a);
            try {
                MembershipException e = assertThrows(MembershipException.class,
                        () -> Membership.start(s, TestNodes.settings(s.settings().config()), 8080));
                assertTrue(e.getMessage().startsWith("cannot start JMX remote on 127.0.0.1:" + port
                        + " (shoal.jmx.remote.host/port): "), e.getMessage());
                assertEquals(1, e.getMessage().lines().count());
                assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(Membership.objectName("node-x")));
            } finally {
                TestNodes.terminate(s);
            }
        }
    }
}
