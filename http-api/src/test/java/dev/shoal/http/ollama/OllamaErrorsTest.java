package dev.shoal.http.ollama;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.support.Frames;
import dev.shoal.http.support.Saturation;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(ServerExtension.class)
class OllamaErrorsTest {

    /** Ollama's shape: exactly {"error":"..."}; returns the message. */
    static String error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode b = json(r);
        assertEquals(1, b.size(), b.toString());
        assertFalse(b.get("error").asText().isBlank());
        return b.get("error").asText();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"prompt\":\"hi\"}",
            "{\"model\":\"stories260K\",\"prompt\":7}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"stream\":\"no\"}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":[]}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"temperature\":\"hot\"}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"temperature\":-1}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"top_p\":1.5}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"repeat_penalty\":0}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"num_predict\":0}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"seed\":1.5}}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"keep_alive\":\"soon\"}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"keep_alive\":true}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"format\":\"json\"}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"images\":[\"aGk=\"]}",
            "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"think\":true}",
            "not json",
    })
    void shouldAnswerBadGenerateRequestsWith400(String body, ServerFixture s) {
        error(s.http().post("/api/generate", body), 400);
    }

    @Test
    void shouldNameTheOptionInTheMessage(ServerFixture s) {
        assertTrue(error(s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"hi\","
                + "\"options\":{\"top_p\":1.5}}"), 400).startsWith("options.top_p"));
        assertEquals("model is required", error(s.http().post("/api/chat", "{\"messages\":[]}"), 400));
    }

    @Test
    void shouldAnswerBadChatRequestsWith400(ServerFixture s) {
        error(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"x\","
                + "\"content\":\"hi\"}]}"), 400);
        error(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"messages\":{}}"), 400);
        error(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\"}]}"), 400);
    }

    @Test
    void shouldAnswerUnknownModelWith404AndOthersInKind(ServerFixture s) {
        assertTrue(error(s.http().post("/api/chat", "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}"), 404).contains("nope"));
        assertTrue(error(s.http().post("/api/generate", "{\"model\":\"too-big\",\"prompt\":\"hi\"}"), 500)
                .contains("GiB"));
        String text = "once upon a time ".repeat(s.service.model().context());
        error(s.http().post("/api/generate", "{\"model\":\"stories260K\",\"raw\":true,\"prompt\":\"" + text
                + "\"}"), 400);
        error(s.http().get("/api/nope"), 404);
        error(s.http().get("/api/generate"), 405);
    }

    @Test
    void shouldAnswerOverloadWith429(ServerFixture s) {
        String body = "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"stream\":false,\"options\":{\"num_predict\":2}}";
        Saturation full = Saturation.fill(s, "/api/generate", body);
        try {
            HttpResponse<String> r = s.http().post("/api/generate", body);
            error(r, 429);
            assertEquals("3", r.headers().firstValue("Retry-After").orElse(""));
        } finally {
            full.release();
        }
    }

    @Test
    void shouldEndAFailingStreamWithAnErrorLine(ServerFixture s) {
        s.service.failAfterTexts(2);

        List<JsonNode> lines = Frames.ndjson(s.http().post("/api/generate", "{\"model\":\"stories260K\","
                + "\"prompt\":\"Once upon a time\",\"raw\":true,\"options\":{\"num_predict\":30}}").body());

        assertEquals(3, lines.size());
        assertTrue(lines.getLast().get("error").asText().contains("injected"));
        assertFalse(lines.getLast().has("done"));
    }
}
