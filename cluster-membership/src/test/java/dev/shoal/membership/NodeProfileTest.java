package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import dev.shoal.config.NodeSettings;
import dev.shoal.membership.testkit.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeProfileTest {

    @Test
    void theLocalProfileShouldComeFromSettingsTheModelsDirectoryAndTheMachine(@TempDir Path models) throws Exception {
        Files.writeString(models.resolve("b.gguf"), "x");
        Files.writeString(models.resolve("notes.txt"), "x");
        Files.createDirectories(models.resolve("qwen/deeper"));
        Files.writeString(models.resolve("qwen/a.GGUF"), "x");
        Files.writeString(models.resolve("qwen/deeper/too-deep.gguf"), "x");
        Files.writeString(models.resolve("qwen/b.gguf"), "x");
        NodeSettings s = TestNodes.settings(ConfigFactory.parseMap(Map.of("shoal.models.dir", models.toString(),
                "shoal.memory.budget", "12 GiB", "shoal.cluster.data-host", "10.0.0.5")));

        NodeProfile p = NodeProfile.local(s, "node-a", "pekko://shoal@10.0.0.5:25520", 40123,
                "http://10.0.0.5:52415", 3L << 29, "");

        assertEquals(new NodeProfile("node-a", "pekko://shoal@10.0.0.5:25520", 12L << 30, 3L << 29,
                Runtime.getRuntime().availableProcessors(), List.of("b.gguf", "qwen/a.GGUF", "qwen/b.gguf"), "10.0.0.5", 40123,
                "http://10.0.0.5:52415", ""), p);
        assertEquals("node-a pekko://shoal@10.0.0.5:25520 memory 1.5/12.0 GiB, "
                + Runtime.getRuntime().availableProcessors() + " cores, models [b.gguf, qwen/a.GGUF, qwen/b.gguf], data 10.0.0.5:40123, "
                + "http http://10.0.0.5:52415", p.line());
        assertEquals(List.of(), ModelFiles.list(models.resolve("missing")));
    }

    @Test
    void aProfileShouldSurviveJacksonCborAsNodesSendIt() throws Exception {
        NodeProfile p = new NodeProfile("node-a", "pekko://shoal@10.0.0.5:25520", 12L << 30, 1L << 30, 8,
                List.of("llama3.2.gguf", "qwen3-0.6b.gguf"), "10.0.0.5", 40123, "http://10.0.0.5:52415",
                "/dev/shm/shoal-host#4242@1764130000000");
        CBORMapper cbor = new CBORMapper();
        byte[] bytes = cbor.writeValueAsBytes(p);
        assertEquals(p, cbor.readValue(bytes, NodeProfile.class));
    }
}
