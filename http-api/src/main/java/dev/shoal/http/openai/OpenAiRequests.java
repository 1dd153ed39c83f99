package dev.shoal.http.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.Sampling;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The OpenAI request bodies this server understands, read strictly from JSON. */
public final class OpenAiRequests {

    /** The sampling knobs' OpenAI names (and the llama.cpp/vLLM extensions this server also takes). */
    static final Map<String, String> PARAM_NAMES = Map.of("temperature", "temperature", "topK", "top_k",
            "topP", "top_p", "minP", "min_p", "repetitionPenalty", "repetition_penalty",
            "frequencyPenalty", "frequency_penalty", "presencePenalty", "presence_penalty");

    private OpenAiRequests() {
    }

    /** What both endpoints share. {@code maxTokens} 0 means up to the context's end, as OpenAI's default. */
    public record Options(SamplingParams sampling, int maxTokens, List<String> stop, boolean stream,
                          boolean includeUsage) {
    }

    public record ChatRequest(String model, List<ChatMessage> messages, Options options) {
    }

    public record CompletionRequest(String model, String prompt, Options options) {
    }

    public static ChatRequest chat(JsonFields f) {
        String model = f.requiredString("model");
        List<ChatMessage> messages = messages(f);
        refuseUnsupported(f);
        return new ChatRequest(model, messages, options(f));
    }

    public static CompletionRequest completion(JsonFields f) {
        String model = f.requiredString("model");
        String prompt = prompt(f);
        refuseUnsupported(f);
        if (f.bool("echo", false)) {
            throw ApiException.invalid("echo is not supported", "echo");
        }
        if (!f.string("suffix").orElse("").isEmpty()) {
            throw ApiException.invalid("suffix (insertion) is not supported", "suffix");
        }
        onlyOne(f, "best_of");
        return new CompletionRequest(model, prompt, options(f));
    }

    static Options options(JsonFields f) {
        onlyOne(f, "n");
        double temperature = f.number("temperature", 1.0, 0, 2);
        double topP = f.number("top_p", 1.0, 0, 1);
        if (topP == 0) {
            // keeping only the likeliest token is greedy decoding; the engine's top-p must be > 0
            temperature = 0;
            topP = 1;
        }
        // vLLM's "off" for top_k is -1
        int topK = (int) Math.max(0, f.integer("top_k", 0, -1, Integer.MAX_VALUE));
        double minP = f.number("min_p", 0, 0, 1);
        double repetition = f.number("repetition_penalty", 1, 0, SamplingParams.MAX_TEMPERATURE);
        double frequency = f.number("frequency_penalty", 0, -2, 2);
        double presence = f.number("presence_penalty", 0, -2, 2);
        long seed = Sampling.seed(f, "seed");
        final double t = temperature;
        final double p = topP;
        SamplingParams sampling = Sampling.checked(() -> Sampling.params(t, topK, p, minP, repetition, frequency,
                presence, SamplingParams.DEFAULT_PENALTY_LAST_N, seed), PARAM_NAMES);
        // max_completion_tokens replaced max_tokens; a client sending both means the newer one
        String limitName = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = (int) f.integer(limitName, 0, 1, Integer.MAX_VALUE);
        List<String> stop = f.stringOrStrings("stop");
        for (String s : stop) {
            if (s.isEmpty()) {
                throw ApiException.invalid("stop: stop sequences must not be empty", "stop");
            }
        }
        boolean stream = f.bool("stream", false);
        boolean includeUsage = stream && f.object("stream_options").bool("include_usage", false);
        return new Options(sampling, maxTokens, stop, stream, includeUsage);
    }

    // Several choices per request are not supported.
    private static void onlyOne(JsonFields f, String name) {
        long n = f.integer(name, 1, 1, Integer.MAX_VALUE);
        if (n != 1) {
            throw ApiException.invalid(name + ": only 1 is supported, got " + n, name);
        }
    }

    /** Requests for what this server cannot do fail loudly rather than being silently ignored. */
    private static void refuseUnsupported(JsonFields f) {
        JsonNode logprobs = f.raw("logprobs").orElse(null);
        if (logprobs != null && !(logprobs.isBoolean() && !logprobs.booleanValue())
                && !(logprobs.isNumber() && logprobs.asInt() == 0)) {
            throw ApiException.invalid("logprobs are not supported", "logprobs");
        }
        for (String name : List.of("tools", "functions")) {
            JsonNode v = f.raw(name).orElse(null);
            if (v != null && !(v.isArray() && v.isEmpty())) {
                throw ApiException.invalid(name + ": tool calling is not supported by this server", name);
            }
        }
    }

    private static List<ChatMessage> messages(JsonFields f) {
        if (!f.has("messages")) {
            throw ApiException.invalid("messages: field required", "messages");
        }
        List<JsonFields> raw = f.objects("messages");
        if (raw.isEmpty()) {
            throw ApiException.invalid("messages must contain at least one message", "messages");
        }
        List<ChatMessage> out = new ArrayList<>(raw.size());
        for (JsonFields m : raw) {
            String role = m.requiredString("role");
            String mapped = switch (role) {
                case "system", "developer" -> "system"; // "developer" is the newer name of the system role
                case "user", "assistant", "tool" -> role;
                default -> throw ApiException.invalid(m.param("role") + ": unknown role '" + role
                        + "'; expected system, developer, user, assistant or tool", m.param("role"));
            };
            out.add(new ChatMessage(mapped, content(m)));
        }
        return out;
    }

    /** A message's content: a string, or text parts joined by newlines; null (assistant tool calls) is empty. */
    private static String content(JsonFields m) {
        JsonNode c = m.raw("content").orElse(null);
        if (c == null) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (!c.isArray()) {
            throw m.wrongType("content", "a string or an array of content parts", c);
        }
        List<String> texts = new ArrayList<>();
        for (JsonFields part : m.objects("content")) {
            String type = part.requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.invalid(part.param("type") + ": content of type '" + type
                        + "' is not supported; only text", part.param("type"));
            }
            texts.add(part.requiredString("text"));
        }
        return String.join("\n", texts);
    }

    private static String prompt(JsonFields f) {
        JsonNode p = f.raw("prompt").orElse(null);
        if (p == null) {
            throw ApiException.invalid("prompt: field required", "prompt");
        }
        if (p.isTextual()) {
            return p.asText();
        }
        if (!p.isArray()) {
            throw f.wrongType("prompt", "a string or an array of strings", p);
        }
        if (p.size() != 1) {
            throw ApiException.invalid("prompt: exactly one prompt per request is supported, got " + p.size(),
                    "prompt");
        }
        if (!p.get(0).isTextual()) {
            throw ApiException.invalid("prompt: token-id prompts are not supported; send text", "prompt");
        }
        return p.get(0).asText();
    }
}
