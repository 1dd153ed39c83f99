package dev.shoal.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes while serving, with node processes: nodes that join are used by the next placement (a
 * synthetic model and stories260K as tensor x 2 x pipeline x 2 over four nodes, answered alike from each); and the
 * common two-node fleet (a laptop docked to a desktop) keeps serving when its oldest node — the seed, where the
 * placement coordinator runs — dies with {@code kill -9} in the middle of a stream: the stream completes on the
 * survivor with the single-node greedy tokens. Instances idle for the keep-alive are unloaded.
 */
class FleetChangesTest {

    static final String PROMPT = "Once upon a time";

    @TempDir
    Path dir;
    ClusterFixture cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    String greedy(String model, int tokens) throws Exception {
        return cluster.greedyText(model, PROMPT, tokens);
    }

    String completion(NodeProcess node, String model, int tokens) throws Exception {
        return cluster.completion(node, model, PROMPT, tokens);
    }

    List<String> placedOn(NodeProcess via, String model) throws Exception {
        JsonNode state = ClusterFixture.getJson(via, "/cluster/state");
        for (JsonNode i : state.get("instances")) {
            if (i.get("model").asText().equals(model)) {
                List<String> nodes = new ArrayList<>();
                i.get("slices").forEach(s -> nodes.add(s.get("node").asText()));
                return nodes;
            }
        }
        return List.of();
    }

    void awaitNotPlaced(NodeProcess via, String model, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!placedOn(via, model).isEmpty()) {
            assertTrue(System.nanoTime() < end, () -> model + " still placed after " + timeout + cluster.logs());
            Thread.sleep(250);
        }
    }

    List<String> stagesOf(NodeProcess via, String model) throws Exception {
        JsonNode state = ClusterFixture.getJson(via, "/cluster/state");
        for (JsonNode i : state.get("instances")) {
            if (i.get("model").asText().equals(model)) {
                List<String> out = new ArrayList<>();
                i.get("slices").forEach(s -> out.add(s.get("stage").asInt() + "/" + s.get("rank").asInt()));
                return out;
            }
        }
        return List.of();
    }

    @Test
    void aJoiningNodeShouldBeUsedAndTheSurvivorOfTheOldestsDeathShouldFinishTheStream() throws Exception {
        Path models = Files.createDirectory(dir.resolve("models"));
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("early.gguf"));
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories-2x2.gguf"));
        // 2 KV heads: a 2-rank tensor group is the widest that divides it, so hybrid over 4 nodes is 2 x 2
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 11, 0.02f, null)
                .write(models.resolve("late.gguf"));
        cluster = new ClusterFixture(dir, models, """
                shoal.engine { threads = 1, context-length = 512, max-batch = 4 }
                shoal.memory.budget = "2 GiB"
                shoal.models.keep-alive = 6 s
                # a killed node is found by its lost links (3 s image liveness), not by this timeout, which only
                # bounds how long a live node may stall: 2 s was too short for four node JVMs on two cores
                shoal.cluster.peer-timeout = 5 s
                shoal.placement { mode = pipeline, load-timeout = 60 s, settle-timeout = 15 s
                  models {
                    late { mode = hybrid, max-nodes = 4 }
                    # stories260K as tensor x 2 x pipeline x 2, pinned (its 4 KV heads would let the planner pick
                    # tensor x 4): stage 0 on a and b, stage 1 on c and d
                    stories-2x2 { pins = [
                      { node = a, layers = "0-3", kv-heads = "0-2", ffn = "0-86", vocab = "0-256" },
                      { node = b, layers = "0-3", kv-heads = "2-4", ffn = "86-172", vocab = "256-512" },
                      { node = c, layers = "3-5", kv-heads = "0-2", ffn = "0-86", vocab = "0-256" },
                      { node = d, layers = "3-5", kv-heads = "2-4", ffn = "86-172", vocab = "256-512" } ] }
                  } }
                # loopback links are measured on a loaded 2-core box: count them fast, as a good LAN would be
                shoal.placement.fast-link { max-round-trip = 20 ms, min-bandwidth = 10 MB }
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2 s
                pekko.cluster.split-brain-resolver.stable-after = 3 s
                """);
        NodeProcess a = cluster.start("a", "");
        NodeProcess b = cluster.start("b", "");
        cluster.awaitMembers(b, List.of("a", "b"), Duration.ofSeconds(60));

        // two nodes: a pipeline over both
        assertEquals(greedy("early", 24), completion(b, "early", 24));
        assertEquals(List.of("a", "b"), placedOn(b, "early").stream().sorted().toList());

        // two more nodes join: the next placement uses them, tensor x 2 x pipeline x 2
        Thread joinD = Thread.ofPlatform().start(() -> {
            try {
                cluster.start("d", "");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        NodeProcess c = cluster.start("c", "");
        joinD.join();
        NodeProcess d = cluster.node("d");
        cluster.awaitMembers(a, List.of("a", "b", "c", "d"), Duration.ofSeconds(60));
        String late = greedy("late", 24);
        assertFalse(late.isEmpty());
        for (NodeProcess n : List.of(a, b, c, d)) {
            assertEquals(late, completion(n, "late", 24), "answer of " + n.name);
        }
        assertEquals(List.of("a", "b", "c", "d"), placedOn(a, "late").stream().sorted().toList());
        assertEquals(List.of("0/0", "0/1", "1/0", "1/1"), stagesOf(a, "late"));
        String stories = greedy("stories-2x2", 24);
        assertEquals(stories, completion(d, "stories-2x2", 24));
        assertEquals(List.of("0/0", "0/1", "1/0", "1/1"), stagesOf(a, "stories-2x2"));
        assertEquals(List.of("a", "b", "c", "d"), placedOn(a, "stories-2x2"));
        // the idle model placed before the joins moves, or stays, between requests; either way it answers alike
        assertEquals(greedy("early", 24), completion(c, "early", 24));
        // an instance idle for the keep-alive is unloaded from all four nodes
        awaitNotPlaced(a, "late", Duration.ofSeconds(30));

        // c and d leave gracefully: a fleet of two again
        Thread leaveD = Thread.ofPlatform().start(() -> {
            try {
                d.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        c.close();
        leaveD.join();
        cluster.awaitMembers(a, List.of("a", "b"), Duration.ofSeconds(60));
        cluster.awaitMembers(b, List.of("a", "b"), Duration.ofSeconds(60));

        // the oldest node (seed, coordinator) dies mid-stream; the stream on b completes with the same tokens
        int tokens = 300;
        String expected = greedy("early", tokens);
        ClusterFixture.Streamed streamed = cluster.streamCompletion(b, "early", PROMPT, tokens, 5, a::kill);
        int chunks = streamed.chunks();
        boolean done = streamed.done();
        String text = streamed.text();
        assertTrue(chunks > 5, "the stream ended before the oldest node could be killed");
        assertTrue(done, () -> "no [DONE]: " + text + cluster.logs());
        assertEquals(expected, text, cluster::logs);
        // the survivor is a cluster of one and keeps serving
        cluster.awaitMembers(b, List.of("b"), Duration.ofSeconds(60));
        assertEquals(late, completion(b, "late", 24));
    }
}
