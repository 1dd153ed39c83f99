package dev.shoal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running node serving stories260K, driven by the official Anthropic and OpenAI Java SDKs and by plain HTTP for
 * Ollama, streaming and not. Greedy output must be the same through every API, and equal to the engine's own
 * greedy run of the same prompt (what {@code bin/shoal generate --temperature 0} prints).
 */
class ClientLibrariesEndToEndTest {

    @TempDir
    static Path models;
    static ShoalNode node;
    static String base;
    static final String PROMPT = "Once upon a time";
    static final int TOKENS = 24;

    @BeforeAll
    static void start() throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        node = ShoalNodeTest.start(models, Map.of("shoal.engine.max-batch", 16, "shoal.engine.max-queue", 64));
        base = "http://127.0.0.1:" + node.httpAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The engine's greedy continuation of raw text, as the CLI computes it. */
    static String engineGreedy(String prompt, int tokens) throws Exception {
        try (LocalModel lm = LocalModel.open(models.resolve("stories260K.gguf"), 1, 256)) {
            int[] ids = lm.tokenizer().encode(prompt, lm.tokenizer().addBosByDefault(), false);
            GenerationResult r = Generator.generate(lm, ids, SamplingParams.greedy(),
                    new GenerationLimits(tokens, 256), List.of(), t -> true);
            return r.text();
        }
    }

    OpenAIClient openai() {
        return OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("not-needed").build();
    }

    AnthropicClient anthropic() {
        return AnthropicOkHttpClient.builder().baseUrl(base).apiKey("not-needed").build();
    }

    @Test
    void openAiCompletionsShouldEqualTheEnginesGreedyText() throws Exception {
        Completion c = openai().completions().create(CompletionCreateParams.builder().model("stories260K")
                .prompt(PROMPT).maxTokens(TOKENS).temperature(0.0).build());
        String expected = engineGreedy(PROMPT, TOKENS);
        assertFalse(expected.isBlank());
        assertEquals(expected, c.choices().get(0).text());
        assertEquals(TOKENS, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void chatThroughEveryApiStreamingAndNotShouldGiveTheSameGreedyText() throws Exception {
        ChatCompletionCreateParams chat = ChatCompletionCreateParams.builder().model("stories260K")
                .addUserMessage(PROMPT).maxCompletionTokens(TOKENS).temperature(0.0).build();
        ChatCompletion oc = openai().chat().completions().create(chat);
        String openAi = oc.choices().get(0).message().content().orElseThrow();
        assertFalse(openAi.isBlank());

        StringBuilder openAiStream = new StringBuilder();
        try (var stream = openai().chat().completions().createStreaming(chat)) {
            stream.stream().forEach((ChatCompletionChunk ch) -> ch.choices().forEach(
                    choice -> choice.delta().content().ifPresent(openAiStream::append)));
        }
        assertEquals(openAi, openAiStream.toString());

        MessageCreateParams msg = MessageCreateParams.builder().model("stories260K").maxTokens(TOKENS)
                .putAdditionalBodyProperty("temperature", com.anthropic.core.JsonValue.from(0))
                .addUserMessage(PROMPT).build();
        Message m = anthropic().messages().create(msg);
        String anthropicText = m.content().get(0).text().orElseThrow().text();
        assertEquals(openAi, anthropicText);
        assertEquals(TOKENS, m.usage().outputTokens());

        StringBuilder anthropicStream = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic().messages().createStreaming(msg)) {
            stream.stream().forEach(e -> e.contentBlockDelta()
                    .flatMap(d -> d.delta().text()).ifPresent(t -> anthropicStream.append(t.text())));
        }
        assertEquals(openAi, anthropicStream.toString());

        HttpResponse<String> ollama = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base
                        + "/api/chat")).POST(HttpRequest.BodyPublishers.ofString("""
                {"model":"stories260K","messages":[{"role":"user","content":"%s"}],
                 "options":{"temperature":0,"repeat_penalty":1,"num_predict":%d}}""".formatted(PROMPT, TOKENS))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ollama.statusCode());
        StringBuilder ollamaText = new StringBuilder();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : ollama.body().split("\n")) {
            var node = json.readTree(line);
            if (!node.path("done").asBoolean()) {
                ollamaText.append(node.path("message").path("content").asText());
            } else {
                assertEquals(TOKENS, node.path("eval_count").asInt());
                assertTrue(node.path("eval_duration").asLong() > 0);
            }
        }
        assertEquals(openAi, ollamaText.toString());
    }

    @Test
    void sixteenSimultaneousStreamsShouldEachGetTheirGreedyTokens() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            prompts.add(i % 2 == 0 ? "Lily " + "saw ".repeat(i / 2) : "The little dog " + i);
        }
        List<String> alone = new ArrayList<>();
        for (String p : prompts) {
            alone.add(engineGreedy(p, TOKENS));
        }
        OpenAIClient client = openai();
        List<CompletableFuture<String>> streams = new ArrayList<>();
        for (String p : prompts) {
            streams.add(CompletableFuture.supplyAsync(() -> {
                StringBuilder sb = new StringBuilder();
                try (var s = client.completions().createStreaming(CompletionCreateParams.builder()
                        .model("stories260K").prompt(p).maxTokens(TOKENS).temperature(0.0).build())) {
                    s.stream().forEach(chunk -> chunk.choices().forEach(ch -> sb.append(ch.text())));
                }
                return sb.toString();
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(alone.get(i), streams.get(i).get(120, TimeUnit.SECONDS), "stream " + i);
        }
    }
}
