package dev.shoal.http.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.Sampling;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.sample.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Ollama's generate and chat requests, read strictly from JSON, with Ollama's option defaults. */
public final class OllamaRequests {

    private static final Map<String, String> PARAM_NAMES = Map.of("temperature", "options.temperature",
            "topK", "options.top_k", "topP", "options.top_p", "minP", "options.min_p",
            "repetitionPenalty", "options.repeat_penalty", "frequencyPenalty", "options.frequency_penalty",
            "presencePenalty", "options.presence_penalty", "penaltyLastN", "options.repeat_last_n");

    private OllamaRequests() {
    }

    /** {@code maxTokens} 0 means no limit but the context (Ollama's num_predict -1 and -2). */
    public record Options(SamplingParams sampling, int maxTokens, List<String> stop) {
    }

    /** An empty prompt only loads (or, with keep-alive 0, unloads) the model. */
    public record GenerateRequest(String model, String prompt, String system, boolean raw, Options options,
                                  boolean stream, Duration keepAlive) {
        public boolean loadOnly() {
            return prompt.isEmpty();
        }
    }

    /** No messages only loads (or unloads) the model. */
    public record ChatRequest(String model, List<ChatMessage> messages, Options options, boolean stream,
                              Duration keepAlive) {
        public boolean loadOnly() {
            return messages.isEmpty();
        }
    }

    public static GenerateRequest generate(JsonFields f) {
        String model = model(f);
        String prompt = f.string("prompt").orElse("");
        String system = f.string("system").orElse(null);
        boolean raw = f.bool("raw", false);
        if (!f.strings("images").isEmpty()) {
            throw ApiException.invalid("images are not supported by this server's models", "images");
        }
        if (!f.string("suffix").orElse("").isEmpty()) {
            throw ApiException.invalid("suffix (insertion) is not supported by this server", "suffix");
        }
        refuseUnsupported(f);
        return new GenerateRequest(model, prompt, system, raw, options(f.object("options")), f.bool("stream", true),
                KeepAlive.parse(f, "keep_alive"));
    }

    public static ChatRequest chat(JsonFields f) {
        String model = model(f);
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonFields m : f.objects("messages")) {
            String role = m.requiredString("role");
            if (!List.of("system", "user", "assistant", "tool").contains(role)) {
                throw ApiException.invalid(m.param("role") + ": unknown role '" + role
                        + "'; expected system, user, assistant or tool", m.param("role"));
            }
            if (!m.strings("images").isEmpty()) {
                throw ApiException.invalid("images are not supported by this server's models", m.param("images"));
            }
            messages.add(new ChatMessage(role, m.string("content").orElse("")));
        }
        JsonNode tools = f.raw("tools").orElse(null);
        if (tools != null && !(tools.isArray() && tools.isEmpty())) {
            throw ApiException.invalid("tools are not supported by this server", "tools");
        }
        refuseUnsupported(f);
        return new ChatRequest(model, messages, options(f.object("options")), f.bool("stream", true),
                KeepAlive.parse(f, "keep_alive"));
    }

    /** {@code model}, or the older {@code name} that Ollama still accepts. */
    public static String model(JsonFields f) {
        String model = f.string("model").orElseGet(() -> f.string("name").orElse(""));
        if (model.isBlank()) {
            throw ApiException.invalid("model is required", "model");
        }
        return model;
    }

    private static void refuseUnsupported(JsonFields f) {
        JsonNode format = f.raw("format").orElse(null);
        if (format != null && !(format.isTextual() && format.asText().isEmpty())) {
            throw ApiException.invalid("format (structured output) is not supported by this server", "format");
        }
        JsonNode think = f.raw("think").orElse(null);
        if (think != null && !(think.isBoolean() && !think.booleanValue())) {
            throw ApiException.invalid("thinking is not supported by this server's models", "think");
        }
    }

    /** Ollama's defaults: temperature 0.8, top_k 40, top_p 0.9, min_p 0, repeat_penalty 1.1 over 64 tokens. */
    static Options options(JsonFields o) {
        double temperature = o.number("temperature").orElse(0.8);
        int topK = (int) Math.max(0, o.integer("top_k", 40, Integer.MIN_VALUE, Integer.MAX_VALUE)); // <= 0 is off
        double topP = o.number("top_p").orElse(0.9);
        double minP = o.number("min_p").orElse(0.0);
        double repeat = o.number("repeat_penalty").orElse(1.1);
        double presence = o.number("presence_penalty").orElse(0.0);
        double frequency = o.number("frequency_penalty").orElse(0.0);
        int lastN = (int) o.integer("repeat_last_n", SamplingParams.DEFAULT_PENALTY_LAST_N, -1, Integer.MAX_VALUE);
        long seed = o.integer("seed").orElse(-1);
        long s = seed < 0 ? Sampling.randomSeed() : seed; // Ollama's -1: a different seed per request
        SamplingParams sampling = Sampling.checked(() -> Sampling.params(temperature, topK, topP, minP, repeat,
                frequency, presence, lastN, s), PARAM_NAMES);
        long numPredict = o.integer("num_predict", -1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (numPredict == 0 || numPredict < -2) {
            throw ApiException.invalid("options.num_predict must be -1 (no limit), -2 (fill the context) or a "
                    + "positive number of tokens, got " + numPredict, "options.num_predict");
        }
        List<String> stop = o.stringOrStrings("stop");
        for (String st : stop) {
            if (st.isEmpty()) {
                throw ApiException.invalid("options.stop: stop sequences must not be empty", "options.stop");
            }
        }
        return new Options(sampling, numPredict < 0 ? 0 : (int) numPredict, stop);
    }
}
