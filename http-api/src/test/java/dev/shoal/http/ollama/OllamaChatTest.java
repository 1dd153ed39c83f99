package dev.shoal.http.ollama;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.support.Expected;
import dev.shoal.http.support.Frames;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.GenerationResult;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class OllamaChatTest {

    static final List<ChatMessage> CHAT = List.of(ChatMessage.system("You tell stories."),
            ChatMessage.user("Tell me about a dog"), ChatMessage.assistant("Once upon a time"),
            ChatMessage.user("Go on"));
    static final String MESSAGES = """
            [{"role":"system","content":"You tell stories."},{"role":"user","content":"Tell me about a dog"},
             {"role":"assistant","content":"Once upon a time"},{"role":"user","content":"Go on"}]""";
    static final String GREEDY = "\"options\":{\"temperature\":0,\"repeat_penalty\":1,\"num_predict\":30}";

    @Test
    void shouldAnswerGreedyChatExactlyAsTheEngineDoes(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 30, List.of());

        JsonNode b = json(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"stream\":false,\"messages\":"
                + MESSAGES + "," + GREEDY + "}"));

        assertEquals("assistant", b.at("/message/role").asText());
        assertEquals(expected.text(), b.at("/message/content").asText());
        assertTrue(b.get("done").asBoolean());
        assertEquals(expected.generatedTokens(), b.get("eval_count").asInt());
        assertEquals(expected.promptTokens(), b.get("prompt_eval_count").asInt());
        assertEquals(CHAT, ((Prompt.Chat) s.service.lastJob().prompt()).messages());
    }

    @Test
    void shouldStreamMessageChunks(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 30, List.of());

        List<JsonNode> lines = Frames.ndjson(s.http().post("/api/chat", "{\"model\":\"stories260K\",\"messages\":"
                + MESSAGES + "," + GREEDY + "}").body());

        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) {
            assertFalse(l.get("done").asBoolean());
            assertEquals("assistant", l.at("/message/role").asText());
            text.append(l.at("/message/content").asText());
        }
        assertEquals(expected.text(), text.toString());
        JsonNode done = lines.getLast();
        assertTrue(done.get("done").asBoolean());
        assertEquals("", done.at("/message/content").asText());
        assertEquals(expected.generatedTokens(), done.get("eval_count").asInt());
    }
}
