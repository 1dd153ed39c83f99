package dev.shoal.http.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.Sampling;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Anthropic Messages request, read strictly from JSON. */
public final class AnthropicRequests {

    private static final Map<String, String> PARAM_NAMES = Map.of("temperature", "temperature", "topK", "top_k",
            "topP", "top_p");

    private AnthropicRequests() {
    }

    /** {@code messages} holds the system prompt first when there is one. */
    public record MessagesRequest(String model, List<ChatMessage> messages, SamplingParams sampling, int maxTokens,
                                  List<String> stopSequences, boolean stream) {
    }

    public static MessagesRequest messages(JsonFields f) {
        String model = f.requiredString("model");
        if (!f.has("max_tokens")) {
            throw ApiException.invalid("max_tokens: field required", "max_tokens");
        }
        int maxTokens = (int) f.integer("max_tokens", 0, 1, Integer.MAX_VALUE);
        List<ChatMessage> messages = new ArrayList<>();
        String system = system(f);
        if (!system.isEmpty()) {
            messages.add(ChatMessage.system(system));
        }
        messages.addAll(turns(f));
        refuseUnsupported(f);
        double temperature = f.number("temperature", 1.0, 0, 1);
        double topP = f.number("top_p", 1.0, 0, 1);
        if (topP == 0) {
            // only the likeliest token survives: greedy decoding (the engine's top-p must be > 0)
            temperature = 0;
            topP = 1;
        }
        int topK = (int) f.integer("top_k", 0, 0, Integer.MAX_VALUE);
        double t = temperature;
        double p = topP;
        SamplingParams sampling = Sampling.checked(() -> Sampling.params(t, topK, p, 0, 1, 0, 0,
                SamplingParams.DEFAULT_PENALTY_LAST_N, Sampling.randomSeed()), PARAM_NAMES);
        List<String> stops = f.strings("stop_sequences");
        for (String s : stops) {
            if (s.isEmpty()) {
                throw ApiException.invalid("stop_sequences: each stop sequence must be non-empty", "stop_sequences");
            }
        }
        return new MessagesRequest(model, messages, sampling, maxTokens, stops, f.bool("stream", false));
    }

    private static void refuseUnsupported(JsonFields f) {
        JsonNode tools = f.raw("tools").orElse(null);
        if (tools != null && !(tools.isArray() && tools.isEmpty())) {
            throw ApiException.invalid("tools: tool use is not supported by this server", "tools");
        }
        JsonFields thinking = f.object("thinking");
        if (!thinking.string("type").orElse("disabled").equals("disabled")) {
            throw ApiException.invalid("thinking: extended thinking is not supported by this server", "thinking");
        }
    }

    private static String system(JsonFields f) {
        JsonNode s = f.raw("system").orElse(null);
        if (s == null) {
            return "";
        }
        if (s.isTextual()) {
            return s.asText();
        }
        if (!s.isArray()) {
            throw f.wrongType("system", "a string or an array of text blocks", s);
        }
        return textBlocks(f, "system");
    }

    private static List<ChatMessage> turns(JsonFields f) {
        if (!f.has("messages")) {
            throw ApiException.invalid("messages: field required", "messages");
        }
        List<JsonFields> raw = f.objects("messages");
        if (raw.isEmpty()) {
            throw ApiException.invalid("messages: at least one message is required", "messages");
        }
        List<ChatMessage> out = new ArrayList<>(raw.size());
        for (JsonFields m : raw) {
            String role = m.requiredString("role");
            if (!role.equals("user") && !role.equals("assistant")) {
                throw ApiException.invalid(m.param("role") + ": unexpected role '" + role
                        + "'; messages take 'user' or 'assistant' (the system prompt is the top-level 'system')",
                        m.param("role"));
            }
            JsonNode c = m.raw("content").orElse(null);
            String content;
            if (c == null) {
                throw ApiException.invalid(m.param("content") + ": field required", m.param("content"));
            } else if (c.isTextual()) {
                content = c.asText();
            } else if (c.isArray()) {
                content = textBlocks(m, "content");
            } else {
                throw m.wrongType("content", "a string or an array of content blocks", c);
            }
            out.add(new ChatMessage(role, content));
        }
        return out;
    }

    /** Text blocks joined by newlines; any other block type (image, tool_use...) is refused. */
    private static String textBlocks(JsonFields f, String name) {
        List<String> texts = new ArrayList<>();
        for (JsonFields block : f.objects(name)) {
            String type = block.requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.invalid(block.param("type") + ": content blocks of type '" + type
                        + "' are not supported; only 'text'", block.param("type"));
            }
            texts.add(block.requiredString("text"));
        }
        return String.join("\n", texts);
    }
}
