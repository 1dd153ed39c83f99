package dev.shoal.http.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.Completion;
import dev.shoal.http.common.Ids;
import dev.shoal.http.common.Json;
import java.time.Instant;

/**
 * Ollama's generate and chat objects. Both APIs send the same frame shapes, differing only in where the text
 * goes: {@code response} for generate, {@code message} for chat.
 */
public final class OllamaResponses {

    /** Which endpoint a response belongs to, which decides where its text goes. */
    public enum Kind { GENERATE, CHAT }

    private OllamaResponses() {
    }

    /** A {@code done: false} chunk carrying {@code text}. */
    public static ObjectNode chunk(Kind kind, String model, String text) {
        ObjectNode o = head(kind, model, text);
        o.put("done", false);
        return o;
    }

    /** The {@code done: true} object: the whole text when not streamed, "" as a stream's last line. */
    public static ObjectNode done(Kind kind, String model, String text, Completion c) {
        ObjectNode o = head(kind, model, text);
        o.put("done", true);
        o.put("done_reason", switch (c.stopReason()) {
            case EOS, STOP_STRING, CANCELLED -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
        });
        o.put("total_duration", c.totalNanos());
        o.put("load_duration", c.loadNanos());
        o.put("prompt_eval_count", c.promptTokens());
        o.put("prompt_eval_duration", c.promptNanos());
        o.put("eval_count", c.completionTokens());
        o.put("eval_duration", c.generationNanos());
        return o;
    }

    /** The answer to a request that only loads ({@code "load"}) or unloads ({@code "unload"}) the model. */
    public static ObjectNode loaded(Kind kind, String model, String doneReason) {
        ObjectNode o = head(kind, model, "");
        o.put("done", true);
        o.put("done_reason", doneReason);
        return o;
    }

    private static ObjectNode head(Kind kind, String model, String text) {
        ObjectNode o = Json.object();
        o.put("model", model);
        o.put("created_at", Ids.rfc3339(Instant.now()));
        switch (kind) {
            case GENERATE -> o.put("response", text);
            case CHAT -> o.set("message", Json.object().put("role", "assistant").put("content", text));
        }
        return o;
    }
}
