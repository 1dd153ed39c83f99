package dev.shoal.http.ollama;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.support.Expected;
import dev.shoal.http.support.Frames;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OllamaGenerateTest {

    static final String GREEDY = "\"options\":{\"temperature\":0,\"repeat_penalty\":1,\"num_predict\":30}";
    static final List<String> METRICS = List.of("total_duration", "load_duration", "prompt_eval_count",
            "prompt_eval_duration", "eval_count", "eval_duration");

    static String doneReason(StopReason r) {
        return switch (r) {
            case EOS, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case CANCELLED -> throw new AssertionError("cancelled");
        };
    }

    @Test
    void shouldStreamNdjsonByDefaultWithTheSameTextAsTheGreedyEngine(ServerFixture s) {
        GenerationResult expected = Expected.greedyRaw(s.service.model(), "Once upon a time", 30, List.of());

        HttpResponse<String> r = s.http().post("/api/generate",
                "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"raw\":true," + GREEDY + "}");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        List<JsonNode> lines = Frames.ndjson(r.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) {
            assertEquals("stories260K", l.get("model").asText());
            Instant.parse(l.get("created_at").asText());
            assertFalse(l.get("done").asBoolean());
            text.append(l.get("response").asText());
        }
        assertEquals(expected.text(), text.toString());
        JsonNode done = lines.getLast();
        assertTrue(done.get("done").asBoolean());
        assertEquals("", done.get("response").asText());
        assertEquals(doneReason(expected.stopReason()), done.get("done_reason").asText());
        for (String m : METRICS) {
            assertTrue(done.get(m).isIntegralNumber(), m + " in " + done);
        }
        assertEquals(expected.promptTokens(), done.get("prompt_eval_count").asInt());
        assertEquals(expected.generatedTokens(), done.get("eval_count").asInt());
        assertTrue(done.get("total_duration").asLong() >= done.get("eval_duration").asLong());
        assertTrue(done.get("eval_duration").asLong() > 0, "nanoseconds, not seconds");
    }

    @Test
    void shouldAnswerOneObjectWhenNotStreaming(ServerFixture s) {
        GenerationResult expected = Expected.greedyRaw(s.service.model(), "Once upon a time", 30, List.of());

        HttpResponse<String> r = s.http().post("/api/generate", "{\"model\":\"stories260K:latest\","
                + "\"prompt\":\"Once upon a time\",\"raw\":true,\"stream\":false," + GREEDY + "}");

        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode b = json(r);
        assertEquals(expected.text(), b.get("response").asText());
        assertTrue(b.get("done").asBoolean());
        assertEquals("stories260K:latest", b.get("model").asText());
        assertEquals(expected.generatedTokens(), b.get("eval_count").asInt());
    }

    @Test
    void shouldWrapANonRawPromptInTheChatTemplateWithTheSystemPrompt(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(),
                List.of(ChatMessage.system("Be brief."), ChatMessage.user("Once upon a time")), 30, List.of());

        JsonNode b = json(s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                + "\"system\":\"Be brief.\",\"stream\":false," + GREEDY + "}"));

        assertEquals(expected.text(), b.get("response").asText());
        Prompt.Text p = assertInstanceOf(Prompt.Text.class, s.service.lastJob().prompt());
        assertTrue(p.template());
        assertEquals("Be brief.", p.system());
    }

    @Test
    void shouldStopAtAStopOption(ServerFixture s) {
        String full = Expected.greedyRaw(s.service.model(), "Once upon a time", 30, List.of()).text();
        String stop = Expected.stopWord(full, 2);

        JsonNode b = json(s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                + "\"raw\":true,\"stream\":false,\"options\":{\"temperature\":0,\"repeat_penalty\":1,"
                + "\"num_predict\":30,\"stop\":[\"" + stop + "\"]}}"));

        assertEquals(full.substring(0, full.indexOf(stop)), b.get("response").asText());
        assertEquals("stop", b.get("done_reason").asText());
    }

    @Test
    void shouldMapEveryOption(ServerFixture s) {
        s.http().post("/api/generate", """
                {"model":"stories260K","prompt":"hi","stream":false,"keep_alive":"1h30m",
                 "options":{"temperature":0.3,"top_k":5,"top_p":0.5,"min_p":0.1,"seed":7,"num_predict":3,
                            "stop":["\\n\\n","The end"],"repeat_penalty":1.2,"presence_penalty":0.1,
                            "frequency_penalty":0.2,"repeat_last_n":32,"num_ctx":4096,"mirostat":0}}""");

        GenerationJob job = s.service.lastJob();
        assertEquals(new SamplingParams(0.3, 5, 0.5, 0.1, 1.2, 0.2, 0.1, 32, 7), job.sampling());
        assertEquals(3, job.maxTokens());
        assertEquals(List.of("\n\n", "The end"), job.stop());
        assertEquals(Duration.ofMinutes(90), job.keepAlive());
    }

    @Test
    void shouldUseOllamaDefaults(ServerFixture s) {
        s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"stream\":false,"
                + "\"options\":{\"num_predict\":1}}");

        SamplingParams p = s.service.lastJob().sampling();
        assertEquals(0.8, p.temperature());
        assertEquals(40, p.topK());
        assertEquals(0.9, p.topP());
        assertEquals(0.0, p.minP());
        assertEquals(1.1, p.repetitionPenalty());
        assertEquals(64, p.penaltyLastN());
        assertEquals(null, s.service.lastJob().keepAlive());

        s.service.failAfterTexts(0); // no limit would run to the context's end; only the job is of interest
        s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"stream\":false,"
                + "\"options\":{\"num_predict\":-1,\"repeat_last_n\":-1,\"top_k\":0}}");
        assertEquals(0, s.service.lastJob().maxTokens());
        assertEquals(-1, s.service.lastJob().sampling().penaltyLastN());
    }

    @Test
    void shouldReadKeepAliveInItsForms(ServerFixture s) {
        List<String> forms = List.of("0", "\"0\"", "300", "\"5m\"", "\"2.5s\"", "-1", "\"-1m\"");
        List<Duration> expected = List.of(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(300),
                Duration.ofMinutes(5), Duration.ofMillis(2500), KeepAlive.FOREVER, KeepAlive.FOREVER);
        for (int i = 0; i < forms.size(); i++) {
            s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"stream\":false,"
                    + "\"options\":{\"num_predict\":1},\"keep_alive\":" + forms.get(i) + "}");
            assertEquals(expected.get(i), s.service.lastJob().keepAlive(), forms.get(i));
        }
    }

    @Test
    void shouldLoadOrUnloadOnAnEmptyPrompt(ServerFixture s) {
        JsonNode load = json(s.http().post("/api/generate", "{\"model\":\"stories260K\"}"));
        assertTrue(load.get("done").asBoolean());
        assertEquals("load", load.get("done_reason").asText());
        assertEquals("", load.get("response").asText());

        JsonNode unload = json(s.http().post("/api/generate", "{\"model\":\"stories260K\",\"keep_alive\":0}"));
        assertEquals("unload", unload.get("done_reason").asText());
        assertEquals(Duration.ZERO, s.service.lastJob().keepAlive());

        JsonNode chat = json(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"messages\":[]}"));
        assertEquals("load", chat.get("done_reason").asText());
        assertEquals("assistant", chat.at("/message/role").asText());

        assertEquals(404, s.http().post("/api/generate", "{\"model\":\"nope\"}").statusCode());
    }
}
