package dev.shoal.http.anthropic;

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
class AnthropicErrorsTest {

    static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    /** Anthropic's shape: {"type":"error","error":{"type","message"}}; returns error.type. */
    static String error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode b = json(r);
        assertEquals("error", b.get("type").asText());
        assertFalse(b.at("/error/message").asText().isBlank());
        assertEquals(2, b.get("error").size(), b.toString());
        return b.at("/error/type").asText();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"model\":\"stories260K\"," + MESSAGES + "}",
            "{\"model\":\"stories260K\",\"max_tokens\":0," + MESSAGES + "}",
            "{\"model\":\"stories260K\",\"max_tokens\":\"ten\"," + MESSAGES + "}",
            "{\"max_tokens\":10," + MESSAGES + "}",
            "{\"model\":\"stories260K\",\"max_tokens\":10}",
            "{\"model\":\"stories260K\",\"max_tokens\":10,\"messages\":[]}",
            "{\"model\":\"stories260K\",\"max_tokens\":10," + MESSAGES + ",\"temperature\":1.5}",
            "{\"model\":\"stories260K\",\"max_tokens\":10," + MESSAGES + ",\"top_k\":-1}",
            "{\"model\":\"stories260K\",\"max_tokens\":10," + MESSAGES + ",\"stop_sequences\":\"x\"}",
            "{\"model\":\"stories260K\",\"max_tokens\":10," + MESSAGES + ",\"system\":42}",
            "{\"model\":\"stories260K\",\"max_tokens\":10,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
            "{\"model\":\"stories260K\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":"
                    + "[{\"type\":\"image\",\"source\":{}}]}]}",
            "{\"model\":\"stories260K\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\"}]}",
            "{\"model\":\"stories260K\",\"max_tokens\":10," + MESSAGES + ",\"tools\":[{\"name\":\"t\"}]}",
            "{\"model\":\"stories260K\",",
    })
    void shouldAnswerBadRequestsWithInvalidRequestError(String body, ServerFixture s) {
        assertEquals("invalid_request_error", error(s.http().post("/v1/messages", body), 400));
    }

    @Test
    void shouldAnswerUnknownModelWithNotFoundError(ServerFixture s) {
        assertEquals("not_found_error", error(s.http().post("/v1/messages",
                "{\"model\":\"nope\",\"max_tokens\":10," + MESSAGES + ",\"stream\":true}"), 404));
    }

    @Test
    void shouldAnswerModelThatDoesNotFitWithApiError(ServerFixture s) {
        assertEquals("api_error", error(s.http().post("/v1/messages",
                "{\"model\":\"too-big\",\"max_tokens\":10," + MESSAGES + "}"), 500));
    }

    @Test
    void shouldAnswerAPromptLongerThanTheContextWith400(ServerFixture s) {
        String text = "once upon a time ".repeat(s.service.model().context());
        assertEquals("invalid_request_error", error(s.http().post("/v1/messages",
                "{\"model\":\"stories260K\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\""
                        + text + "\"}]}"), 400));
    }

    @Test
    void shouldAnswerOverloadWith529(ServerFixture s) {
        String body = "{\"model\":\"stories260K\",\"max_tokens\":2," + MESSAGES + "}";
        Saturation full = Saturation.fill(s, "/v1/messages", body);
        try {
            HttpResponse<String> r = s.http().post("/v1/messages", body);
            assertEquals("overloaded_error", error(r, 529));
            assertEquals("3", r.headers().firstValue("Retry-After").orElse(""));
        } finally {
            full.release();
        }
    }

    @Test
    void shouldAnswerWrongMethodAndUnknownPathInAnthropicShape(ServerFixture s) {
        HttpResponse<String> r = s.http().get("/v1/messages");
        assertEquals("invalid_request_error", error(r, 405));
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        assertEquals("not_found_error", error(s.http().post("/v1/messages/batches", "{}"), 404));
    }

    @Test
    void shouldEndAFailingStreamWithAnErrorEvent(ServerFixture s) {
        s.service.failAfterTexts(2);

        List<Frames.Event> events = Frames.sseEvents(s.http().post("/v1/messages",
                "{\"model\":\"stories260K\",\"max_tokens\":30,\"temperature\":0,\"stream\":true," + MESSAGES
                        + "}").body());

        List<String> names = events.stream().map(Frames.Event::name).toList();
        assertEquals(List.of("message_start", "content_block_start", "ping", "content_block_delta",
                "content_block_delta", "error"), names);
        JsonNode e = events.getLast().json();
        assertEquals("error", e.get("type").asText());
        assertEquals("api_error", e.at("/error/type").asText());
        assertTrue(e.at("/error/message").asText().contains("injected"));
    }
}
