package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.testkit.Await;
import dev.shoal.membership.testkit.TestNodes;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One node on its own: self-join, its JMX bean over its lifetime, its profile. */
class MembershipTest {

    private static final MBeanServer MBS = ManagementFactory.getPlatformMBeanServer();

    @Test
    void aNodeWithoutSeedsOrBootstrapShouldJoinItselfAndShowItInJmxUntilItStops(@TempDir Path models)
            throws Exception {
        Files.writeString(models.resolve("m.gguf"), "x");
        Config c = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "solo", "shoal.models.dir",
                models.toString(), "shoal.memory.budget", "2 GiB")).withFallback(TestNodes.pekko(0, List.of()));
        ActorSystem<Void> s = TestNodes.system(c);
        ObjectName name = Membership.objectName("solo");
        try {
            Membership m = Membership.start(s, TestNodes.settings(s.settings().config()), 52415);
            String self = org.apache.pekko.cluster.typed.Cluster.get(s).selfMember().address().toString();
            assertEquals(new JoinMethod.SelfJoin(self), m.joinMethod());
            TestNodes.awaitUp(s, 1, Duration.ofSeconds(15));

            assertEquals(new ObjectName("dev.shoal:type=Node,name=solo"), name);
            assertEquals("solo", MBS.getAttribute(name, "NodeName"));
            assertEquals(List.of("solo " + self + " Up roles=[dc-default]"),
                    List.of((String[]) MBS.getAttribute(name, "Members")));
            // the cluster's read view takes membership and leader events one at a time: the member can be Up a
            // moment before the leader is set
            Await.until(Duration.ofSeconds(15), () -> !leader(name).isEmpty(), () -> "no leader in " + name);
            assertEquals("solo " + self, leader(name));
            assertEquals(0, ((String[]) MBS.getAttribute(name, "Placements")).length);
            assertEquals(0.0, MBS.getAttribute(name, "TokensPerSecond"));

            m.statusSource(new NodeStatusSource() {
                @Override
                public List<String> capabilities() {
                    return List.of(m.profile().line());
                }

                @Override
                public long usedBytes() {
                    return 1L << 30;
                }
            });
            NodeProfile p = m.profile();
            assertEquals(List.of("m.gguf"), p.modelFiles());
            assertEquals(1L << 30, p.usedBytes());
            assertEquals(2L << 30, p.memoryBudgetBytes());
            assertEquals("http://127.0.0.1:52415", p.httpBaseUrl());
            assertTrue(p.dataPort() > 0, "data port 0 picks a free one");
            assertEquals(List.of(p.line()), List.of((String[]) MBS.getAttribute(name, "Capabilities")));
        } finally {
            TestNodes.terminate(s);
        }
        assertFalse(MBS.isRegistered(name), "the bean goes with the actor system");
    }

    @Test
    void twoNodesOfOneNameInOneJvmShouldBeRefusedWithTheKeyToChange() {
        Config c = ConfigFactory.parseMap(Map.of("shoal.cluster.node-name", "twin"))
                .withFallback(TestNodes.pekko(0, List.of()));
        ActorSystem<Void> first = TestNodes.system(c);
        ActorSystem<Void> second = TestNodes.system(c);
        try {
            Membership.start(first, TestNodes.settings(c), 1);
            MembershipException e = assertThrows(MembershipException.class,
                    () -> Membership.start(second, TestNodes.settings(c), 2));
            assertTrue(e.getMessage().contains("give each node its own shoal.cluster.node-name"), e.getMessage());
            assertTrue(MBS.isRegistered(Membership.objectName("twin")), "the first node's bean stays");
        } finally {
            TestNodes.terminate(first, second);
        }
    }

    @Test
    void aDerivedNameShouldBeTheArteryHostAndPortAndQuotedInTheObjectName() throws Exception {
        Address self = new Address("pekko", "shoal", "127.0.0.1", 25520);
        assertEquals("127.0.0.1:25520", NodeNames.self(TestNodes.settings(ConfigFactory.empty()).cluster(), self));
        assertEquals(new ObjectName("dev.shoal:type=Node,name=\"127.0.0.1:25520\""),
                Membership.objectName("127.0.0.1:25520"));
    }

    @Test
    void theHttpBaseUrlShouldNameAReachableHost() {
        Address self = new Address("pekko", "shoal", "10.0.0.5", 25520);
        assertEquals("http://127.0.0.1:52415", Membership.httpBaseUrl("127.0.0.1", 52415, self));
        assertEquals("http://10.0.0.5:8080", Membership.httpBaseUrl("0.0.0.0", 8080, self));
        assertEquals("http://[::1]:8080", Membership.httpBaseUrl("::1", 8080, self));
    }

    @Test
    void aDataHostThatIsNotOfThisMachineShouldFailNamingTheKey() {
        MembershipException e = assertThrows(MembershipException.class, () -> DataPort.resolve(TestNodes.settings(
                ConfigFactory.parseMap(Map.of("shoal.cluster.data-host", "203.0.113.7"))).cluster()));
        assertTrue(e.getMessage().startsWith("shoal.cluster.data-host = 203.0.113.7: cannot pick a free UDP data port"),
                e.getMessage());
        assertEquals(40000, DataPort.resolve(TestNodes.settings(
                ConfigFactory.parseMap(Map.of("shoal.cluster.data-port", 40000))).cluster()));
    }

    private static String leader(final ObjectName name) {
        try {
            return (String) MBS.getAttribute(name, "Leader");
        } catch (javax.management.JMException e) {
            throw new IllegalStateException(e);
        }
    }
}
