package dev.shoal.http.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.Completion;
import dev.shoal.http.common.Collected;
import dev.shoal.http.common.Json;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;

/** The Anthropic message object and its stop reason. */
public final class AnthropicResponses {

    private AnthropicResponses() {
    }

    /** Why a message ended, with the stop sequence that ended it (or null). */
    public record Stop(String reason, String sequence) {
    }

    public static ObjectNode message(String id, String model, Collected c, List<String> stopSequences) {
        ObjectNode block = Json.object();
        block.put("type", "text");
        block.put("text", c.text());
        Stop stop = stop(c.completion(), stopSequences);
        ObjectNode body = Json.object();
        body.put("id", id);
        body.put("type", "message");
        body.put("role", "assistant");
        body.put("model", model);
        body.set("content", Json.array().add(block));
        body.put("stop_reason", stop.reason());
        body.put("stop_sequence", stop.sequence());
        body.set("usage", usage(c.completion().promptTokens(), c.completion().completionTokens()));
        return body;
    }

    static ObjectNode usage(int input, int output) {
        ObjectNode usage = Json.object();
        usage.put("input_tokens", input);
        usage.put("output_tokens", output);
        return usage;
    }

    /**
     * The engine says a stop string ended the generation but not which one, and it may also stop on the chat
     * format's own turn marker. So the request's stop sequence is named only when there is exactly one; with
     * none, a stop string can only have been the turn marker, which is Anthropic's {@code end_turn}.
     */
    static Stop stop(Completion c, List<String> stopSequences) {
        return switch (c.stopReason()) {
            case EOS, CANCELLED -> new Stop("end_turn", null);
            case MAX_TOKENS, CONTEXT_FULL -> new Stop("max_tokens", null);
            case STOP_STRING -> stopSequences.isEmpty() ? new Stop("end_turn", null)
                    : new Stop("stop_sequence", stopSequences.size() == 1 ? stopSequences.getFirst() : null);
        };
    }

    static boolean cancelled(Completion c) {
        return c.stopReason() == StopReason.CANCELLED;
    }
}
