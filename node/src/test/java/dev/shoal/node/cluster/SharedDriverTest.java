package dev.shoal.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.membership.testkit.ChildJvm;
import dev.shoal.node.Main;
import dev.shoal.tensor.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of one host sharing one media driver ({@code shoal driver}, {@code shoal.cluster.aeron-dir}): a model
 * split tensor ×2 over them gives the single-node greedy tokens over {@code aeron:ipc}, and neither node launched a
 * driver of its own; when one node is killed mid-stream, the other finishes the stream alone with the same tokens.
 */
class SharedDriverTest {

    @TempDir
    Path dir;

    @Test
    void twoNodesSharingTheHostsDriverShouldServeATensorSplitOverIpcAndOutliveAKilledPeer() throws Exception {
        Path shm = Path.of("/dev/shm");
        Path driverDir = (Files.isDirectory(shm) && Files.isWritable(shm) ? shm : dir)
                .resolve("shoal-test-host-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Path models = Files.createDirectory(dir.resolve("models"));
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        try (ChildJvm driver = ChildJvm.start(Main.class, List.of(), "driver", "--dir", driverDir.toString());
             ClusterFixture cluster = new ClusterFixture(dir, models, """
                     shoal.engine { threads = 1, context-length = 512, max-batch = 4 }
                     shoal.memory.budget = "2 GiB"
                     shoal.cluster { peer-timeout = 2 s, aeron-dir = "%s" }
                     shoal.placement { settle-timeout = 15 s, models { stories260K { mode = tensor } } }
                     pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2 s
                     pekko.cluster.split-brain-resolver.stable-after = 3 s
                     """.formatted(driverDir.toString().replace("\\\\", "/")))) {
            driver.awaitLine(l -> l.startsWith("shoal driver ready"), Duration.ofSeconds(60));
            NodeProcess a = cluster.start("a", "");
            NodeProcess b = cluster.start("b", "");
            cluster.awaitMembers(b, List.of("a", "b"), Duration.ofSeconds(60));

            String expected = cluster.greedyText("stories260K", "Once upon a time", 24);
            assertFalse(expected.isEmpty());
            assertEquals(expected, cluster.completion(b, "stories260K", "Once upon a time", 24));
            assertEquals(expected, cluster.completion(a, "stories260K", "Once upon a time", 24));
            var instance = ClusterFixture.getJson(a, "/cluster/state").get("instances").get(0);
            assertEquals("tensor", instance.get("mode").asText());
            assertEquals(2, instance.get("slices").size());
            // both nodes name the same running driver, so the instance's positions talk over aeron:ipc
            assertEquals("ipc", instance.get("transport").asText());
            // the data plane ran through the shared driver: no node made a driver directory of its own
            assertTrue(Files.exists(driverDir.resolve("cnc.dat")));
            if (Files.isDirectory(shm)) {
                try (Stream<Path> entries = Files.list(shm)) {
                    List<String> own = entries.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("shoal-aeron-" + a.pid() + "-")
                                    || n.startsWith("shoal-aeron-" + b.pid() + "-"))
                            .toList();
                    assertEquals(List.of(), own);
                }
            }

            // b is killed mid-stream while its publications sit in the driver a still uses: a notices within the
            // peer timeout, places the model on itself alone and the stream ends with the same greedy tokens
            int tokens = 300;
            String longer = cluster.greedyText("stories260K", "Once upon a time", tokens);
            ClusterFixture.Streamed streamed = cluster.streamCompletion(a, "stories260K", "Once upon a time", tokens,
                    5, b::kill);
            assertTrue(streamed.chunks() > 5, "the stream ended before b could be killed");
            assertTrue(streamed.done(), () -> "no [DONE]: " + streamed.text() + cluster.logs());
            assertEquals(longer, streamed.text(), cluster::logs);
            cluster.awaitMembers(a, List.of("a"), Duration.ofSeconds(60));
        } finally {
            // the driver process is killed, so its directory (log buffers in memory) is ours to remove
            if (Files.exists(driverDir)) {
                try (Stream<Path> walk = Files.walk(driverDir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
