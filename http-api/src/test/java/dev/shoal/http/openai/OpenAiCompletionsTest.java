package dev.shoal.http.openai;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.support.Expected;
import dev.shoal.http.support.Frames;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import dev.shoal.tensor.generate.GenerationResult;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OpenAiCompletionsTest {

    static final String PROMPT = "Once upon a time";

    @Test
    void shouldContinueRawTextExactlyAsTheGreedyEngineDoes(ServerFixture s) {
        GenerationResult expected = Expected.greedyRaw(s.service.model(), PROMPT, 30, List.of());

        JsonNode b = json(s.http().post("/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":\"" + PROMPT + "\",\"temperature\":0,\"max_tokens\":30}"));

        assertTrue(b.get("id").asText().startsWith("cmpl-"), b.toString());
        assertEquals("text_completion", b.get("object").asText());
        assertEquals(expected.text(), b.at("/choices/0/text").asText());
        assertFalse(expected.text().isEmpty());
        assertTrue(b.at("/choices/0/logprobs").isNull());
        assertEquals(OpenAiResponses.finishReason(expected.stopReason()), b.at("/choices/0/finish_reason").asText());
        assertEquals(expected.promptTokens(), b.at("/usage/prompt_tokens").asInt());
        assertEquals(expected.generatedTokens(), b.at("/usage/completion_tokens").asInt());
        Prompt.Text p = assertInstanceOf(Prompt.Text.class, s.service.lastJob().prompt());
        assertFalse(p.template(), "the legacy endpoint must not apply the chat template");
    }

    @Test
    void shouldStreamTextCompletionChunks(ServerFixture s) {
        GenerationResult expected = Expected.greedyRaw(s.service.model(), PROMPT, 20, List.of());

        String body = s.http().post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":[\"" + PROMPT
                + "\"],\"temperature\":0,\"max_tokens\":20,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}").body();

        List<String> frames = Frames.sseData(body);
        assertEquals("[DONE]", frames.getLast());
        JsonNode usage = json(frames.get(frames.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(expected.generatedTokens(), usage.at("/usage/completion_tokens").asInt());
        StringBuilder text = new StringBuilder();
        List<String> chunks = frames.subList(0, frames.size() - 2);
        for (String f : chunks) {
            JsonNode c = json(f);
            assertEquals("text_completion", c.get("object").asText());
            text.append(c.at("/choices/0/text").asText());
        }
        assertEquals(expected.text(), text.toString());
        assertEquals(OpenAiResponses.finishReason(expected.stopReason()),
                json(chunks.getLast()).at("/choices/0/finish_reason").asText());
    }

    @Test
    void shouldRefuseTokenIdPrompts(ServerFixture s) {
        var r = s.http().post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":[[1,2,3]]}");

        assertEquals(400, r.statusCode());
        assertEquals("prompt", json(r).at("/error/param").asText());
    }
}
