package dev.shoal.http;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.support.Metrics;
import dev.shoal.http.support.Saturation;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class MetricsTest {

    static final String CHAT = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"max_tokens\":5}";

    @Test
    void shouldExposePrometheusTextThatMovesWithRequests(ServerFixture s) {
        HttpResponse<String> before = s.http().get("/metrics");
        assertEquals(200, before.statusCode());
        assertTrue(before.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(before.headers().firstValue("Content-Type").orElse("").contains("version=0.0.4"));

        JsonNode usage = json(s.http().post("/v1/chat/completions", CHAT)).get("usage");
        s.http().post("/v1/chat/completions", "{");
        s.http().post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"options\":{\"num_predict\":3}}");
        String after = s.http().get("/metrics").body();

        String ok = "shoal_http_requests_total{api=\"openai\",endpoint=\"/v1/chat/completions\",status=\"200\"}";
        String bad = "shoal_http_requests_total{api=\"openai\",endpoint=\"/v1/chat/completions\",status=\"400\"}";
        String ollama = "shoal_http_requests_total{api=\"ollama\",endpoint=\"/api/generate\",status=\"200\"}";
        String prompt = "shoal_prompt_tokens_total{api=\"openai\",model=\"stories260K\"}";
        String generated = "shoal_generated_tokens_total{api=\"openai\",model=\"stories260K\"}";
        String ttft = "shoal_time_to_first_token_seconds_count{api=\"openai\"}";
        String speed = "shoal_generation_tokens_per_second_count{api=\"openai\",model=\"stories260K\"}";
        String b = before.body();
        assertEquals(1, Metrics.value(after, ok) - Metrics.value(b, ok), after);
        assertEquals(1, Metrics.value(after, bad) - Metrics.value(b, bad));
        assertEquals(1, Metrics.value(after, ollama) - Metrics.value(b, ollama));
        assertEquals(usage.get("prompt_tokens").asInt(), Metrics.value(after, prompt) - Metrics.value(b, prompt));
        assertEquals(usage.get("completion_tokens").asInt(),
                Metrics.value(after, generated) - Metrics.value(b, generated));
        assertEquals(1, Metrics.value(after, ttft) - Metrics.value(b, ttft));
        assertEquals(1, Metrics.value(after, speed) - Metrics.value(b, speed));
        assertTrue(after.contains("shoal_time_to_first_token_seconds_bucket{api=\"openai\",le=\"0.1\"}"));
    }

    @Test
    void shouldShowTheQueueDepth(ServerFixture s) {
        assertEquals(0, Metrics.value(s.http().get("/metrics").body(), "shoal_queue_depth"));
        Saturation full = Saturation.fill(s, "/v1/chat/completions", CHAT);
        try {
            String m = s.http().get("/metrics").body();
            assertEquals(ServerFixture.QUEUE_CAPACITY, Metrics.value(m, "shoal_queue_depth"), m);
            assertEquals(1, Metrics.value(m, "shoal_active_sequences"));
            assertEquals(1, Metrics.value(m, "shoal_loaded_models"));
        } finally {
            full.release();
        }
        assertEquals(0, Metrics.value(s.http().get("/metrics").body(), "shoal_queue_depth"));
    }
}
