package dev.shoal.http.openai;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.support.Expected;
import dev.shoal.http.support.Frames;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.GenerationResult;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OpenAiChatTest {

    static final String MESSAGES = """
            [{"role":"system","content":"You tell stories."},
             {"role":"user","content":[{"type":"text","text":"Once upon a time"}]}]""";
    static final List<ChatMessage> CHAT = List.of(ChatMessage.system("You tell stories."),
            ChatMessage.user("Once upon a time"));

    static String request(String extra) {
        return "{\"model\":\"stories260K\",\"messages\":" + MESSAGES + ",\"temperature\":0" + extra
                + ",\"unknown_field\":{\"clients\":\"send these\"}}";
    }

    @Test
    void shouldAnswerGreedyChatExactlyAsTheEngineDoes(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 40, List.of());

        HttpResponse<String> r = s.http().post("/v1/chat/completions", request(",\"max_tokens\":40"));

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode b = json(r);
        assertTrue(b.get("id").asText().startsWith("chatcmpl-"), b.toString());
        assertEquals("chat.completion", b.get("object").asText());
        assertTrue(Math.abs(b.get("created").asLong() - Instant.now().getEpochSecond()) < 60);
        assertEquals("stories260K", b.get("model").asText());
        assertEquals(1, b.get("choices").size());
        JsonNode choice = b.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.at("/message/role").asText());
        assertEquals(expected.text(), choice.at("/message/content").asText());
        assertFalse(expected.text().isEmpty());
        assertEquals(OpenAiResponses.finishReason(expected.stopReason()), choice.get("finish_reason").asText());
        assertEquals(expected.promptTokens(), b.at("/usage/prompt_tokens").asInt());
        assertEquals(expected.generatedTokens(), b.at("/usage/completion_tokens").asInt());
        assertEquals(expected.promptTokens() + expected.generatedTokens(), b.at("/usage/total_tokens").asInt());
    }

    @Test
    void shouldStreamTheSameTextAsChunksEndingWithDone(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 40, List.of());

        HttpResponse<String> r = s.http().post("/v1/chat/completions", request(",\"max_tokens\":40,\"stream\":true"));

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> frames = Frames.sseData(r.body());
        assertEquals("[DONE]", frames.getLast());
        List<JsonNode> chunks = frames.subList(0, frames.size() - 1).stream().map(f -> json(f)).toList();
        JsonNode first = chunks.getFirst();
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertEquals("", first.at("/choices/0/delta/content").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertEquals(first.get("id").asText(), c.get("id").asText());
            assertEquals(first.get("created").asLong(), c.get("created").asLong());
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertEquals("stories260K", c.get("model").asText());
            assertFalse(c.has("usage"), "usage only appears with stream_options.include_usage");
            text.append(c.at("/choices/0/delta/content").asText(""));
        }
        assertTrue(first.get("id").asText().startsWith("chatcmpl-"));
        assertEquals(expected.text(), text.toString());
        JsonNode last = chunks.getLast().get("choices").get(0);
        assertEquals(0, last.get("delta").size());
        assertEquals(OpenAiResponses.finishReason(expected.stopReason()), last.get("finish_reason").asText());
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertTrue(c.at("/choices/0/finish_reason").isNull());
        }
    }

    @Test
    void shouldEndTheStreamWithAUsageChunkWhenAsked(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 12, List.of());

        HttpResponse<String> r = s.http().post("/v1/chat/completions",
                request(",\"max_tokens\":12,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        List<String> frames = Frames.sseData(r.body());
        assertEquals("[DONE]", frames.getLast());
        JsonNode usageChunk = json(frames.get(frames.size() - 2));
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(expected.promptTokens(), usageChunk.at("/usage/prompt_tokens").asInt());
        assertEquals(expected.generatedTokens(), usageChunk.at("/usage/completion_tokens").asInt());
        assertEquals(expected.promptTokens() + expected.generatedTokens(),
                usageChunk.at("/usage/total_tokens").asInt());
        for (String f : frames.subList(0, frames.size() - 2)) {
            JsonNode c = json(f);
            assertTrue(c.has("usage") && c.get("usage").isNull(), f);
            assertEquals(1, c.get("choices").size());
        }
    }

    @Test
    void shouldStopBeforeTheStopSequence(ServerFixture s) {
        String full = Expected.greedyChat(s.service.model(), CHAT, 40, List.of()).text();
        String stop = Expected.stopWord(full, 3);
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 40, List.of(stop));
        assertEquals(full.substring(0, full.indexOf(stop)), expected.text());

        for (String stopJson : List.of("\"" + stop + "\"", "[\"zzzz\",\"" + stop + "\"]")) {
            JsonNode b = json(s.http().post("/v1/chat/completions",
                    request(",\"max_tokens\":40,\"stop\":" + stopJson)));
            assertEquals(expected.text(), b.at("/choices/0/message/content").asText());
            assertEquals("stop", b.at("/choices/0/finish_reason").asText());
        }
    }

    @Test
    void shouldReportLengthWhenTheTokenBudgetEndsIt(ServerFixture s) {
        JsonNode b = json(s.http().post("/v1/chat/completions", request(",\"max_completion_tokens\":3")));

        assertEquals("length", b.at("/choices/0/finish_reason").asText());
        assertEquals(3, b.at("/usage/completion_tokens").asInt());
        assertEquals(3, s.service.lastJob().maxTokens());
    }

    @Test
    void shouldMapSamplingParameters(ServerFixture s) {
        s.http().post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":" + MESSAGES
                + ",\"temperature\":0.7,\"top_p\":0.5,\"seed\":42,\"presence_penalty\":0.5,"
                + "\"frequency_penalty\":-0.5,\"max_tokens\":2,\"n\":1,\"stop\":null,\"logprobs\":false}");

        var p = s.service.lastJob().sampling();
        assertEquals(0.7, p.temperature());
        assertEquals(0.5, p.topP());
        assertEquals(42, p.seed());
        assertEquals(0.5, p.presencePenalty());
        assertEquals(-0.5, p.frequencyPenalty());
        assertEquals(0, p.topK());
        assertEquals(List.of(), s.service.lastJob().stop());
    }

    @Test
    void shouldDefaultTemperatureToOne(ServerFixture s) {
        s.http().post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":" + MESSAGES
                + ",\"max_tokens\":1}");

        assertEquals(1.0, s.service.lastJob().sampling().temperature());
        assertEquals(0, s.service.lastJob().sampling().topK());
    }
}
