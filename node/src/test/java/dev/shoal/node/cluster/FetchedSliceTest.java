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
 * node, since {@code b} reads the header of a model only {@code a} has from {@code a}. No scratch file is left
 * behind on {@code b}, and {@code b} never lists a model file of its own.
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
            // b previews a model only a has, and says plainly when no member has a model
            JsonNode preview = ClusterFixture.getJson(b, "/cluster/placement/preview?model=synth&mode=pipeline");
            assertTrue(preview.get("fits").asBoolean(), preview.toString());
            assertEquals("pipeline", preview.get("mode").asText());
            var missing = ClusterFixture.post(b, "/v1/completions",
                    "{\"model\":\"nobody-has-it\",\"prompt\":\"x\",\"max_tokens\":2}", Duration.ofSeconds(30));
            assertEquals(404, missing.statusCode(), missing.body());
            assertEquals("model_not_found", ClusterFixture.JSON.readTree(missing.body()).at("/error/code").asText());
            // the scratch files were deleted once the slices were in memory
            try (Stream<Path> left = Files.list(empty)) {
                assertEquals(List.of(), left.toList());
            }
            assertTrue(b.logText().contains("fetched"), b.logText());
        }
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
