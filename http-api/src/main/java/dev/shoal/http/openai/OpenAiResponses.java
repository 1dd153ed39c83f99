package dev.shoal.http.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.http.common.Collected;
import dev.shoal.http.common.Json;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;

/** OpenAI response bodies: chat.completion, text_completion, model and list objects, usage. */
public final class OpenAiResponses {

    private OpenAiResponses() {
    }

    public static ObjectNode chatCompletion(String id, long created, String model, Collected c) {
        ObjectNode message = Json.object();
        message.put("role", "assistant");
        message.put("content", c.text());
        message.putNull("refusal");
        ObjectNode choice = Json.object();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c.completion().stopReason()));
        return envelope(id, "chat.completion", created, model, choice, c.completion());
    }

    public static ObjectNode textCompletion(String id, long created, String model, Collected c) {
        ObjectNode choice = Json.object();
        choice.put("text", c.text());
        choice.put("index", 0);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c.completion().stopReason()));
        return envelope(id, "text_completion", created, model, choice, c.completion());
    }

    private static ObjectNode envelope(String id, String object, long created, String model, ObjectNode choice,
                                       Completion completion) {
        ObjectNode body = head(id, object, created, model);
        body.set("choices", Json.array().add(choice));
        body.set("usage", usage(completion));
        return body;
    }

    /** The fields every completion object and chunk starts with. */
    static ObjectNode head(String id, String object, long created, String model) {
        ObjectNode body = Json.object();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", model);
        return body;
    }

    static ObjectNode usage(Completion c) {
        ObjectNode usage = Json.object();
        usage.put("prompt_tokens", c.promptTokens());
        usage.put("completion_tokens", c.completionTokens());
        usage.put("total_tokens", c.promptTokens() + c.completionTokens());
        return usage;
    }

    /** OpenAI has only "stop" and "length" for a generation that ran to its end. */
    static String finishReason(StopReason reason) {
        return switch (reason) {
            case EOS, STOP_STRING, CANCELLED -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
        };
    }

    public static ObjectNode model(ModelEntry m) {
        ObjectNode o = Json.object();
        o.put("id", m.name());
        o.put("object", "model");
        o.put("created", m.modified() == null ? 0 : m.modified().getEpochSecond());
        o.put("owned_by", "shoal");
        return o;
    }

    public static ObjectNode models(List<ModelEntry> models) {
        ArrayNode data = Json.array();
        models.forEach(m -> data.add(model(m)));
        ObjectNode o = Json.object();
        o.put("object", "list");
        o.set("data", data);
        return o;
    }
}
