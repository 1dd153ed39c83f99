package dev.shoal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.membership.testkit.Await;
import dev.shoal.membership.testkit.ChildJvm;
import dev.shoal.membership.testkit.FreePorts;
import dev.shoal.membership.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downing strategy of {@code shoal-node.conf} ({@code SurvivorDowningProvider}) in a 2-node cluster whose other
 * node dies without leaving: it runs as {@code bin/shoal node} in a JVM of its own and is killed with SIGKILL. The
 * node in this JVM is a {@link ShoalNode} too. Only the timings are shortened (failure detection about 2 s,
 * stable-after 2 s); the strategy is the shipped one.
 */
class DowningTest {

    /** The same shortened timings for both nodes, as -D properties and as config overrides. */
    private static final Map<String, String> TIMINGS = Map.of(
            "pekko.cluster.split-brain-resolver.stable-after", "2s",
            "pekko.cluster.failure-detector.heartbeat-interval", "300ms",
            "pekko.cluster.failure-detector.acceptable-heartbeat-pause", "2s",
            "pekko.cluster.gossip-interval", "200ms",
            "pekko.cluster.leader-actions-interval", "200ms",
            "pekko.cluster.unreachable-nodes-reaper-interval", "200ms",
            "shoal.memory.budget", "1GiB");

    private static ChildJvm childNode(int port, int seedPort, Path models) {
        List<String> props = new ArrayList<>();
        TIMINGS.forEach((k, v) -> props.add(k + "=" + v));
        props.add("pekko.remote.artery.canonical.port=" + port);
        props.add("pekko.cluster.seed-nodes.0=" + TestNodes.address(seedPort));
        props.add("shoal.cluster.node-name=child");
        return ChildJvm.start(Main.class, props, "node", "--http-port", "0", "--models-dir", models.toString());
    }

    private static ShoalNode node(int port, int seedPort, Path models) {
        Map<String, Object> o = new HashMap<>(TIMINGS);
        o.put("pekko.remote.artery.canonical.port", port);
        o.put("pekko.cluster.seed-nodes", List.of(TestNodes.address(seedPort)));
        o.put("shoal.cluster.node-name", "here");
        return ShoalNodeTest.start(models, o);
    }

    private static Member oldest(ShoalNode node) {
        Member oldest = null;
        for (Member m : Cluster.get(node.system()).state().getMembers()) {
            if (oldest == null || m.isOlderThan(oldest)) {
                oldest = m;
            }
        }
        return oldest;
    }

    @Test
    void whenTheYoungerOfTwoIsKilledTheOldestShouldRemoveItAndStayUp(@TempDir Path models) throws Exception {
        int here = FreePorts.tcp();
        ShoalNode oldest = node(here, here, models);
        try (ChildJvm younger = childNode(FreePorts.tcp(), here, models)) {
            TestNodes.awaitUp(oldest.system(), 2, Duration.ofSeconds(30));
            assertEquals(Cluster.get(oldest.system()).selfMember(), oldest(oldest));

            younger.kill();
            // unreachable after ~2 s, downed after stable-after, then removed
            Await.until(Duration.ofSeconds(30), () -> TestNodes.allUp(oldest.system(), 1),
                    () -> "the oldest sees " + Cluster.get(oldest.system()).state().getMembers() + " unreachable "
                            + Cluster.get(oldest.system()).state().getUnreachable());
            assertEquals(MemberStatus.up(), Cluster.get(oldest.system()).selfMember().status());
            assertFalse(oldest.whenTerminated().toCompletableFuture().isDone());
        } finally {
            oldest.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * The case Pekko's built-in strategies lose (STACK.md P8): the oldest of two dies. The survivor removes it,
     * stays up, and becomes the oldest (where the placement coordinator runs).
     */
    @Test
    void whenTheOldestOfTwoIsKilledTheYoungerShouldRemoveItAndStayUp(@TempDir Path models) throws Exception {
        int there = FreePorts.tcp();
        try (ChildJvm oldest = childNode(there, there, models)) {
            oldest.awaitLine(l -> l.startsWith("shoal node ready"), Duration.ofSeconds(60));
            ShoalNode younger = node(FreePorts.tcp(), there, models);
            try {
                TestNodes.awaitUp(younger.system(), 2, Duration.ofSeconds(30));
                assertEquals(TestNodes.address(there), oldest(younger).address().toString());

                oldest.kill();
                Await.until(Duration.ofSeconds(30), () -> TestNodes.allUp(younger.system(), 1),
                        () -> "the younger sees " + Cluster.get(younger.system()).state().getMembers()
                                + " unreachable " + Cluster.get(younger.system()).state().getUnreachable());
                assertEquals(MemberStatus.up(), Cluster.get(younger.system()).selfMember().status());
                assertEquals(Cluster.get(younger.system()).selfMember(), oldest(younger));
                assertFalse(younger.whenTerminated().toCompletableFuture().isDone());
            } finally {
                younger.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        }
    }
}
