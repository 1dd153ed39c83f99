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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The laptop docked to the desktop: only node {@code a} has the model files; node {@code b}'s models directory is
 * empty. A model split over both (tensor ×2 on a synthetic model, pipeline ×2 on stories260K) still uses {@code b}:
 * it fetches its slice's bytes from {@code a} and the answers are the single-node greedy tokens — asked of either
 * node, since {@code b} reads the header of a model only {@code a} has from {@code a} (and lists such models in
 * {@code /api/tags}, {@code /v1/models} and, holding slices of them, {@code /api/ps}). {@code b} keeps what it
 * fetched: placed again after an unload, the slice comes from its disk; it never lists a model file of its own.
 */
class FetchedSliceTest {

    @TempDir
    Path dir;

    @Test
    void aNodeWithoutTheModelFileShouldHoldAFetchedSliceAndGiveTheSingleNodeTokens() throws Exception {
        Path models = Files.createDirectory(dir.resolve("models-a"));
        Path empty = Files.createDirectory(dir.resolve("models-b"));
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories.gguf"));
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 7, 0.02f, null)
                .write(models.resolve("synth.gguf"));
        try (ClusterFixture cluster = new ClusterFixture(dir, models, """
                shoal.engine { threads = 1, context-length = 512, max-batch = 4 }
                shoal.memory.budget = "2 GiB"
                shoal.cluster.peer-timeout = 2 s
                shoal.placement {
                  load-timeout = 60 s
                  models { synth { mode = tensor }, stories { mode = pipeline } }
                }
                shoal.placement.fast-link { max-round-trip = 20 ms, min-bandwidth = 10 MB }
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2 s
                pekko.cluster.split-brain-resolver.stable-after = 3 s
                """)) {
            NodeProcess a = cluster.start("a", "");
            NodeProcess b = cluster.start("b", "shoal.models.dir = \"" + empty.toString().replace("\\", "/") + "\"");
            cluster.awaitMembers(a, List.of("a", "b"), Duration.ofSeconds(60));
            JsonNode members = ClusterFixture.getJson(a, "/cluster/state").get("members");
            for (JsonNode m : members) {
                int files = m.at("/capabilities/model_files").size();
                assertEquals(m.get("node").asText().equals("a") ? 2 : 0, files, m.toString());
            }

            for (String model : List.of("synth", "stories")) {
                String expected = cluster.greedyText(model, "Once upon a time", 24);
                assertFalse(expected.isEmpty());
                assertEquals(expected, cluster.completion(a, model, "Once upon a time", 24), model);
                // b has no file of the model, yet a client of b may name it: b reads its header from a
                assertEquals(expected, cluster.completion(b, model, "Once upon a time", 24), model + " via b");
                JsonNode instance = instance(a, model);
                assertEquals(model.equals("synth") ? "tensor" : "pipeline", instance.get("mode").asText());
                List<String> weights = new ArrayList<>();
                instance.get("slices").forEach(s -> weights.add(s.get("node").asText() + ": "
                        + s.get("weights").asText()));
                weights.sort(null);
                assertEquals(List.of("a: own file", "b: fetched from a"), weights, instance.toString());
            }
            // b lists the models only a has (Ollama and OpenAI), resolved in the background from a's headers
            awaitListed(b, List.of("stories", "synth"), Duration.ofSeconds(30));
            List<String> openAi = new ArrayList<>();
            ClusterFixture.getJson(b, "/v1/models").get("data").forEach(m -> openAi.add(m.get("id").asText()));
            assertEquals(List.of("stories", "synth"), openAi);
            // and /api/ps on b shows the split models it holds slices of
            List<String> ps = new ArrayList<>();
            ClusterFixture.getJson(b, "/api/ps").get("models").forEach(m -> ps.add(m.get("name").asText()));
            ps.sort(null);
            assertEquals(List.of("stories", "synth"), ps.stream().map(n -> n.replace(":latest", "")).toList());
            // b previews a model only a has, and says plainly when no member has a model
            JsonNode preview = ClusterFixture.getJson(b, "/cluster/placement/preview?model=synth&mode=pipeline");
            assertTrue(preview.get("fits").asBoolean(), preview.toString());
            assertEquals("pipeline", preview.get("mode").asText());
            var missing = ClusterFixture.post(b, "/v1/completions",
                    "{\"model\":\"nobody-has-it\",\"prompt\":\"x\",\"max_tokens\":2}", Duration.ofSeconds(30));
            assertEquals(404, missing.statusCode(), missing.body());
            assertEquals("model_not_found", ClusterFixture.JSON.readTree(missing.body()).at("/error/code").asText());
            assertTrue(b.logText().contains("fetched"), b.logText());
            assertFalse(b.logText().contains("fetched 0 bytes"), b.logText());

            // b kept what it fetched (shoal.models.keep-fetched, on by default): unloaded and placed again, synth's
            // slice comes from b's disk as far as b holds it already — the new plan may give b the other rank, whose
            // matrices it lacks; once it held both, nothing more is fetched — and b still lists no model file
            String expected = cluster.greedyText("synth", "Once upon a time", 24);
            List<long[]> loads = new ArrayList<>();
            for (int placement = 0; placement < 2 && (loads.isEmpty() || loads.getLast()[0] > 0); placement++) {
                var unload = ClusterFixture.post(a, "/api/generate", "{\"model\":\"synth\",\"prompt\":\"Once\","
                        + "\"raw\":true,\"stream\":false,\"keep_alive\":0,\"options\":{\"temperature\":0,"
                        + "\"num_predict\":2}}", Duration.ofSeconds(60));
                assertEquals(200, unload.statusCode(), unload.body());
                awaitNotPlaced(a, "synth", Duration.ofSeconds(30));
                assertEquals(expected, cluster.completion(a, "synth", "Once upon a time", 24));
                loads.add(lastLoad(b, "synth.gguf"));
                assertTrue(loads.getLast()[1] > 0, "nothing of b's kept copy was used: " + b.logText());
            }
            assertEquals(0, loads.getLast()[0], "b fetched again what it holds: " + b.logText());
            try (Stream<Path> left = Files.list(empty)) {
                assertEquals(List.of(empty.resolve(".shoal-fetched")), left.toList());
            }
            try (Stream<Path> kept = Files.list(empty.resolve(".shoal-fetched"))) {
                assertEquals(4, kept.count(), "a kept copy and its index per model");
            }
            for (JsonNode m : ClusterFixture.getJson(a, "/cluster/state").get("members")) {
                if (m.get("node").asText().equals("b")) {
                    assertEquals(0, m.at("/capabilities/model_files").size(), m.toString());
                }
            }
        }
    }

    /** {fetched, already held} bytes of b's latest load of a slice of {@code file}, from its log. */
    private static long[] lastLoad(NodeProcess b, String file) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("fetched (\\d+) bytes \\([0-9.]+ MiB\\) of "
                + java.util.regex.Pattern.quote(file) + " from \\S+ in \\d+ ms \\((\\d+) bytes already")
                .matcher(b.logText());
        long[] last = null;
        while (m.find()) {
            last = new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        }
        if (last == null) {
            throw new AssertionError("no load of " + file + " in b's log");
        }
        return last;
    }

    private static void awaitListed(NodeProcess via, List<String> names, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        List<String> listed = List.of();
        while (System.nanoTime() < end) {
            List<String> now = new ArrayList<>();
            ClusterFixture.getJson(via, "/api/tags").get("models").forEach(m -> now.add(m.get("name").asText()
                    .replace(":latest", "")));
            listed = now;
            if (listed.equals(names)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(via.name + " lists " + listed + ", not " + names + " within " + timeout);
    }

    private static void awaitNotPlaced(NodeProcess via, String model, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            boolean placed = false;
            for (JsonNode i : ClusterFixture.getJson(via, "/cluster/state").get("instances")) {
                placed |= i.get("model").asText().equals(model);
            }
            if (!placed) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(model + " still placed after " + timeout);
    }

    private static JsonNode instance(NodeProcess via, String model) throws Exception {
        for (JsonNode i : ClusterFixture.getJson(via, "/cluster/state").get("instances")) {
            if (i.get("model").asText().equals(model)) {
                return i;
            }
        }
        throw new AssertionError("no instance of " + model);
    }
}
