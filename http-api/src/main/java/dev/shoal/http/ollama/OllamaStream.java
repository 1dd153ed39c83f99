package dev.shoal.http.ollama;

import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.GenerationEvent;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import dev.shoal.http.common.StreamFormat;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;
import org.apache.pekko.util.ByteString;

/** Ollama NDJSON: a {@code done: false} line per piece of text, then the {@code done: true} line with timings. */
public final class OllamaStream implements StreamFormat {

    private final OllamaResponses.Kind kind;
    private final String model;

    public OllamaStream(OllamaResponses.Kind kind, String model) {
        this.kind = kind;
        this.model = model;
    }

    @Override
    public List<ByteString> start() {
        return List.of();
    }

    @Override
    public List<ByteString> on(GenerationEvent event) {
        return switch (event) {
            case GenerationEvent.Text t -> List.of(line(OllamaResponses.chunk(kind, model, t.text())));
            case GenerationEvent.Done d when d.completion().stopReason() == StopReason.CANCELLED ->
                    List.of(OllamaErrors.INSTANCE.streamEvent(new ApiError.Internal(Generations.CANCELLED)));
            case GenerationEvent.Done d -> List.of(line(OllamaResponses.done(kind, model, "", d.completion())));
            case GenerationEvent.Failed f -> List.of(OllamaErrors.INSTANCE.streamEvent(f.error()));
        };
    }

    private static ByteString line(com.fasterxml.jackson.databind.JsonNode o) {
        return SseFraming.line(Json.write(o));
    }
}
