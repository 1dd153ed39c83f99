package dev.shoal.http.ollama;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OllamaModelsTest {

    @Test
    void shouldListTags(ServerFixture s) {
        JsonNode m = json(s.http().get("/api/tags")).at("/models/0");
        assertEquals("stories260K:latest", m.get("name").asText());
        assertEquals("stories260K:latest", m.get("model").asText());
        Instant.parse(m.get("modified_at").asText());
        assertEquals(s.service.entry().sizeBytes(), m.get("size").asLong());
        assertEquals(s.service.entry().digest(), m.get("digest").asText());
        assertEquals("gguf", m.at("/details/format").asText());
        assertEquals("llama", m.at("/details/family").asText());
        assertEquals("260K", m.at("/details/parameter_size").asText());
        assertEquals("F32", m.at("/details/quantization_level").asText());
        assertEquals(200, s.http().method("HEAD", "/api/tags", null).statusCode());
    }

    @Test
    void shouldShowAModelByModelOrName(ServerFixture s) {
        for (String field : new String[] {"model", "name"}) {
            JsonNode b = json(s.http().post("/api/show", "{\"" + field + "\":\"stories260K\"}"));
            assertEquals("llama", b.at("/model_info/general.architecture").asText());
            assertEquals(s.service.model().context(), b.at("/model_info/llama.context_length").asInt());
            assertEquals(s.service.model().chatTemplate().source(), b.get("template").asText());
            assertEquals("completion", b.at("/capabilities/0").asText());
            assertTrue(b.get("modelfile").asText().contains("FROM"));
        }
        var r = s.http().post("/api/show", "{\"model\":\"nope\"}");
        assertEquals(404, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("nope"));
        assertEquals(400, s.http().post("/api/show", "{}").statusCode());
    }

    @Test
    void shouldListRunningModels(ServerFixture s) {
        JsonNode m = json(s.http().get("/api/ps")).at("/models/0");
        assertEquals("stories260K:latest", m.get("name").asText());
        assertTrue(Instant.parse(m.get("expires_at").asText()).isAfter(Instant.now()));
        assertEquals(s.service.model().context(), m.get("context_length").asInt());
        assertEquals(0, m.get("size_vram").asLong());
    }

    @Test
    void shouldReportAVersion(ServerFixture s) {
        assertTrue(json(s.http().get("/api/version")).get("version").asText().matches("\\d+\\.\\d+\\.\\d+"));
    }
}
