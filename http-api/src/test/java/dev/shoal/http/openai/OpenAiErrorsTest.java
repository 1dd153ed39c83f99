package dev.shoal.http.openai;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OpenAiErrorsTest {

    static final String CHAT = "/v1/chat/completions";
    static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    /** Every OpenAI error has exactly this shape: error.{message,type,param,code}. */
    static JsonNode error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode e = json(r).get("error");
        assertEquals(List.of("message", "type", "param", "code"), iterable(e));
        assertFalse(e.get("message").asText().isBlank());
        assertFalse(r.body().contains("at dev.shoal"), "no stack trace");
        return e;
    }

    static List<String> iterable(JsonNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void shouldAnswerMalformedJsonWith400(ServerFixture s) {
        JsonNode e = error(s.http().post(CHAT, "{\"model\": \"stories260K\", "), 400);
        assertEquals("invalid_request_error", e.get("type").asText());
        assertTrue(e.get("param").isNull());
        error(s.http().post(CHAT, "[]"), 400);
        error(s.http().post(CHAT, ""), 400);
        error(s.http().post(CHAT, "{} {}"), 400);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{" + MESSAGES + "}                                                | model",
            "{\"model\":\"stories260K\"}                                         | messages",
            "{\"model\":\"stories260K\",\"messages\":[]}                         | messages",
            "{\"model\":\"stories260K\",\"messages\":\"hi\"}                     | messages",
            "{\"model\":7," + MESSAGES + "}                                      | model",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"temperature\":\"hot\"} | temperature",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"temperature\":2.5}     | temperature",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"top_p\":1.5}           | top_p",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"presence_penalty\":3}  | presence_penalty",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"frequency_penalty\":-3} | frequency_penalty",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"repetition_penalty\":0} | repetition_penalty",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"max_tokens\":0}        | max_tokens",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"max_tokens\":1.5}      | max_tokens",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"max_completion_tokens\":-1} | max_completion_tokens",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"seed\":\"x\"}          | seed",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"n\":2}                 | n",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"stream\":\"yes\"}      | stream",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"stop\":7}              | stop",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"stop\":[\"\"]}         | stop",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"logprobs\":true}       | logprobs",
            "{\"model\":\"stories260K\"," + MESSAGES + ",\"tools\":[{\"type\":\"function\"}]} | tools",
            "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]} | messages[0].role",
            "{\"model\":\"stories260K\",\"messages\":[{\"content\":\"hi\"}]}     | messages[0].role",
            "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":[{\"type\":\"image_url\"}]}]} | messages[0].content[0].type",
    })
    void shouldAnswerBadFieldsWith400NamingTheParam(String body, String param, ServerFixture s) {
        JsonNode e = error(s.http().post(CHAT, body.trim()), 400);
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals(param.trim(), e.get("param").asText(), e.toString());
    }

    @Test
    void shouldAnswerUnknownModelWith404(ServerFixture s) {
        JsonNode e = error(s.http().post(CHAT, "{\"model\":\"nope\"," + MESSAGES + "}"), 404);
        assertEquals("model_not_found", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("nope"));
        error(s.http().get("/v1/models/nope"), 404);
    }

    @Test
    void shouldAnswerAPromptLongerThanTheContextWith400(ServerFixture s) {
        String longPrompt = "once upon a time ".repeat(s.service.model().context());
        JsonNode e = error(s.http().post("/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":\"" + longPrompt + "\",\"stream\":true}"), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
    }

    @Test
    void shouldAnswerAModelThatDoesNotFitWith500(ServerFixture s) {
        JsonNode e = error(s.http().post(CHAT, "{\"model\":\"too-big\"," + MESSAGES + "}"), 500);
        assertEquals("server_error", e.get("type").asText());
        assertTrue(e.get("message").asText().contains("GiB"), e.toString());
    }

    @Test
    void shouldAnswerOverloadWith429AndRetryAfter(ServerFixture s) {
        String body = "{\"model\":\"stories260K\"," + MESSAGES + ",\"max_tokens\":2}";
        Saturation full = Saturation.fill(s, CHAT, body);
        try {
            HttpResponse<String> r = s.http().post(CHAT, body.replace("}", ",\"stream\":true}"));
            JsonNode e = error(r, 429);
            assertEquals("3", r.headers().firstValue("Retry-After").orElse(""));
            assertEquals("rate_limit_error", e.get("type").asText());
        } finally {
            full.release();
        }
    }

    @Test
    void shouldAnswerUnknownRoutesAndWrongMethodsInJson(ServerFixture s) {
        error(s.http().post("/v1/nope", "{}"), 404);
        error(s.http().get("/nope"), 404);
        HttpResponse<String> r = s.http().get(CHAT);
        JsonNode e = error(r, 405);
        assertEquals("method_not_allowed", e.get("code").asText());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        error(s.http().method("DELETE", "/v1/models", null), 405);
    }

    @Test
    void shouldEndAStreamThatFailsWithAnErrorChunkAndNoDone(ServerFixture s) {
        s.service.failAfterTexts(3);

        String body = s.http().post(CHAT, "{\"model\":\"stories260K\"," + MESSAGES
                + ",\"temperature\":0,\"max_tokens\":30,\"stream\":true}").body();

        List<String> frames = Frames.sseData(body);
        assertEquals(1 + 3 + 1, frames.size(), body); // role chunk, three pieces, the error
        JsonNode last = json(frames.getLast());
        assertEquals("server_error", last.at("/error/type").asText());
        assertTrue(last.at("/error/message").asText().contains("injected"));
        assertFalse(body.contains("[DONE]"));
    }

    @Test
    void shouldListModels(ServerFixture s) {
        JsonNode list = json(s.http().get("/v1/models"));
        assertEquals("list", list.get("object").asText());
        assertEquals("stories260K", list.at("/data/0/id").asText());
        assertEquals("model", list.at("/data/0/object").asText());
        JsonNode one = json(s.http().get("/v1/models/stories260K"));
        assertEquals("stories260K", one.get("id").asText());
        assertTrue(one.get("created").asLong() > 0);
    }
}
