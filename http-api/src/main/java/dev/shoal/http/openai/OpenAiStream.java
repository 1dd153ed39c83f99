package dev.shoal.http.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.GenerationEvent;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import dev.shoal.http.common.StreamFormat;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * The OpenAI SSE stream of one response: {@code chat.completion.chunk}s (a role chunk first, then content
 * deltas, then the finish chunk) or {@code text_completion} chunks; with {@code include_usage} every chunk has
 * {@code "usage": null} and a last chunk with empty {@code choices} carries the usage; then {@code [DONE]}.
 * Same {@code id} and {@code created} on every chunk. A failure mid-stream is one {@code {"error":…}} chunk.
 */
public final class OpenAiStream implements StreamFormat {

    /** Chat completions or legacy text completions. */
    public enum Kind { CHAT, TEXT }

    private final Kind kind;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;

    public OpenAiStream(Kind kind, String id, long created, String model, boolean includeUsage) {
        this.kind = kind;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    @Override
    public List<ByteString> start() {
        return switch (kind) {
            case CHAT -> {
                ObjectNode delta = Json.object();
                delta.put("role", "assistant");
                delta.put("content", "");
                yield List.of(frame(chunk(delta, null)));
            }
            case TEXT -> List.of(); // text completions have no role to announce
        };
    }

    @Override
    public List<ByteString> on(GenerationEvent event) {
        return switch (event) {
            case GenerationEvent.Text t -> List.of(frame(chunk(t.text(), null)));
            case GenerationEvent.Done d when d.completion().stopReason() == StopReason.CANCELLED ->
                    List.of(OpenAiErrors.INSTANCE.streamEvent(new ApiError.Internal(Generations.CANCELLED)));
            case GenerationEvent.Done d -> {
                String finish = OpenAiResponses.finishReason(d.completion().stopReason());
                // the finish chunk carries no text: an empty delta for chat, "" for text completions
                ByteString last = frame(kind == Kind.CHAT ? chunk(Json.object(), finish) : chunk("", finish));
                if (!includeUsage) {
                    yield List.of(last, SseFraming.DONE);
                }
                ObjectNode usage = OpenAiResponses.head(id, object(), created, model);
                usage.set("choices", Json.array());
                usage.set("usage", OpenAiResponses.usage(d.completion()));
                yield List.of(last, SseFraming.data(Json.write(usage)), SseFraming.DONE);
            }
            case GenerationEvent.Failed f -> List.of(OpenAiErrors.INSTANCE.streamEvent(f.error()));
        };
    }

    /** A chunk carrying {@code text}: as a content delta for chat, as the choice's text otherwise. */
    private ObjectNode chunk(String text, String finishReason) {
        return switch (kind) {
            case CHAT -> chunk(Json.object().put("content", text), finishReason);
            case TEXT -> {
                ObjectNode choice = Json.object();
                choice.put("text", text);
                choice.put("index", 0);
                yield wrap(choice, finishReason);
            }
        };
    }

    /** A chat chunk with {@code delta}. */
    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode choice = Json.object();
        choice.put("index", 0);
        choice.set("delta", delta);
        return wrap(choice, finishReason);
    }

    private ObjectNode wrap(ObjectNode choice, String finishReason) {
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        ObjectNode chunk = OpenAiResponses.head(id, object(), created, model);
        chunk.set("choices", Json.array().add(choice));
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private String object() {
        return switch (kind) {
            case CHAT -> "chat.completion.chunk";
            case TEXT -> "text_completion";
        };
    }

    private static ByteString frame(ObjectNode chunk) {
        return SseFraming.data(Json.write(chunk));
    }
}
