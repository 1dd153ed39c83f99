package dev.shoal.http.anthropic;

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
import dev.shoal.tensor.sample.StopReason;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class AnthropicMessagesTest {

    static final List<ChatMessage> CHAT = List.of(ChatMessage.system("You tell stories.\nShort ones."),
            ChatMessage.user("Once upon a time"));

    static String request(String extra) {
        return """
                {"model":"stories260K","temperature":0,
                 "system":[{"type":"text","text":"You tell stories."},{"type":"text","text":"Short ones."}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"Once upon a time"}]}],
                 "metadata":{"user_id":"u1"}""" + extra + "}";
    }

    static String stopReason(StopReason r) {
        return switch (r) {
            case EOS, STOP_STRING -> "end_turn";
            case MAX_TOKENS, CONTEXT_FULL -> "max_tokens";
            case CANCELLED -> throw new AssertionError("cancelled");
        };
    }

    @Test
    void shouldAnswerGreedyMessagesExactlyAsTheEngineDoes(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 40, List.of());

        HttpResponse<String> r = s.http().post("/v1/messages", request(",\"max_tokens\":40"));

        assertEquals(200, r.statusCode(), r.body());
        JsonNode b = json(r);
        assertTrue(b.get("id").asText().startsWith("msg_"));
        assertEquals("message", b.get("type").asText());
        assertEquals("assistant", b.get("role").asText());
        assertEquals("stories260K", b.get("model").asText());
        assertEquals(1, b.get("content").size());
        assertEquals("text", b.at("/content/0/type").asText());
        assertEquals(expected.text(), b.at("/content/0/text").asText());
        assertEquals(stopReason(expected.stopReason()), b.get("stop_reason").asText());
        assertTrue(b.get("stop_sequence").isNull());
        assertEquals(expected.promptTokens(), b.at("/usage/input_tokens").asInt());
        assertEquals(expected.generatedTokens(), b.at("/usage/output_tokens").asInt());
    }

    @Test
    void shouldStreamTheFullEventSequence(ServerFixture s) {
        GenerationResult expected = Expected.greedyChat(s.service.model(), CHAT, 25, List.of());

        HttpResponse<String> r = s.http().post("/v1/messages", request(",\"max_tokens\":25,\"stream\":true"));

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<Frames.Event> events = Frames.sseEvents(r.body());
        List<String> names = new ArrayList<>(events.stream().map(Frames.Event::name).toList());
        for (Frames.Event e : events) {
            assertEquals(e.name(), e.json().get("type").asText(), "event name equals the payload type");
        }
        int deltas = names.size() - 6;
        assertTrue(deltas > 0);
        List<String> expectedNames = new ArrayList<>(List.of("message_start", "content_block_start", "ping"));
        for (int i = 0; i < deltas; i++) {
            expectedNames.add("content_block_delta");
        }
        expectedNames.addAll(List.of("content_block_stop", "message_delta", "message_stop"));
        assertEquals(expectedNames, names);

        JsonNode start = events.get(0).json().get("message");
        assertTrue(start.get("id").asText().startsWith("msg_"));
        assertEquals(0, start.get("content").size());
        assertTrue(start.get("stop_reason").isNull());
        assertEquals(expected.promptTokens(), start.at("/usage/input_tokens").asInt());
        JsonNode blockStart = events.get(1).json();
        assertEquals(0, blockStart.get("index").asInt());
        assertEquals("text", blockStart.at("/content_block/type").asText());
        assertEquals("", blockStart.at("/content_block/text").asText());
        StringBuilder text = new StringBuilder();
        for (Frames.Event e : events.subList(3, 3 + deltas)) {
            assertEquals(0, e.json().get("index").asInt());
            assertEquals("text_delta", e.json().at("/delta/type").asText());
            text.append(e.json().at("/delta/text").asText());
        }
        assertEquals(expected.text(), text.toString());
        assertEquals(0, events.get(3 + deltas).json().get("index").asInt());
        JsonNode delta = events.get(4 + deltas).json();
        assertEquals(stopReason(expected.stopReason()), delta.at("/delta/stop_reason").asText());
        assertTrue(delta.at("/delta/stop_sequence").isNull());
        assertEquals(expected.generatedTokens(), delta.at("/usage/output_tokens").asInt());
    }

    @Test
    void shouldStopAtAStopSequenceAndNameIt(ServerFixture s) {
        String full = Expected.greedyChat(s.service.model(), CHAT, 40, List.of()).text();
        String stop = Expected.stopWord(full, 2);
        String before = full.substring(0, full.indexOf(stop));

        JsonNode b = json(s.http().post("/v1/messages",
                request(",\"max_tokens\":40,\"stop_sequences\":[\"" + stop + "\"]")));
        assertEquals(before, b.at("/content/0/text").asText());
        assertEquals("stop_sequence", b.get("stop_reason").asText());
        assertEquals(stop, b.get("stop_sequence").asText());

        List<Frames.Event> events = Frames.sseEvents(s.http().post("/v1/messages",
                request(",\"max_tokens\":40,\"stream\":true,\"stop_sequences\":[\"" + stop + "\"]")).body());
        JsonNode delta = events.get(events.size() - 2).json();
        assertEquals("stop_sequence", delta.at("/delta/stop_reason").asText());
        assertEquals(stop, delta.at("/delta/stop_sequence").asText());
    }

    @Test
    void shouldReportMaxTokens(ServerFixture s) {
        JsonNode b = json(s.http().post("/v1/messages", request(",\"max_tokens\":2")));

        assertEquals("max_tokens", b.get("stop_reason").asText());
        assertEquals(2, b.at("/usage/output_tokens").asInt());
    }

    @Test
    void shouldMapParametersWithAnthropicDefaults(ServerFixture s) {
        s.http().post("/v1/messages", "{\"model\":\"stories260K\",\"max_tokens\":1,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        var p = s.service.lastJob().sampling();
        assertEquals(1.0, p.temperature());
        assertEquals(0, p.topK());
        assertEquals(1.0, p.topP());
        Prompt.Chat chat = (Prompt.Chat) s.service.lastJob().prompt();
        assertEquals(List.of(ChatMessage.user("hi")), chat.messages());

        s.http().post("/v1/messages", request(",\"max_tokens\":1,\"top_k\":5,\"top_p\":0.5,\"temperature\":0.3"));
        p = s.service.lastJob().sampling();
        assertEquals(0.3, p.temperature());
        assertEquals(5, p.topK());
        assertEquals(0.5, p.topP());
        assertEquals(CHAT, ((Prompt.Chat) s.service.lastJob().prompt()).messages());
        assertFalse(s.service.lastJob().stop().iterator().hasNext());
    }
}
