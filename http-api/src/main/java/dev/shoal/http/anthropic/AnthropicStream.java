package dev.shoal.http.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.GenerationEvent;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import dev.shoal.http.common.StreamFormat;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * One Messages stream: {@code message_start}, {@code content_block_start} (one text block at index 0),
 * {@code ping}, a {@code content_block_delta} per piece of text, {@code content_block_stop},
 * {@code message_delta} (stop reason and the cumulative output token count), {@code message_stop}. A failure
 * after the start is an {@code error} event, and the stream ends.
 */
public final class AnthropicStream implements StreamFormat {

    private final String id;
    private final String model;
    private final int inputTokens;
    private final List<String> stopSequences;

    public AnthropicStream(String id, String model, int inputTokens, List<String> stopSequences) {
        this.id = id;
        this.model = model;
        this.inputTokens = inputTokens;
        this.stopSequences = stopSequences;
    }

    @Override
    public List<ByteString> start() {
        ObjectNode message = Json.object();
        message.put("id", id);
        message.put("type", "message");
        message.put("role", "assistant");
        message.set("content", Json.array());
        message.put("model", model);
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.set("usage", AnthropicResponses.usage(inputTokens, 0));
        ObjectNode start = typed("message_start");
        start.set("message", message);
        ObjectNode blockStart = typed("content_block_start");
        blockStart.put("index", 0);
        blockStart.set("content_block", Json.object().put("type", "text").put("text", ""));
        return List.of(event(start), event(blockStart), event(typed("ping")));
    }

    @Override
    public List<ByteString> on(GenerationEvent event) {
        return switch (event) {
            case GenerationEvent.Text t -> {
                ObjectNode delta = typed("content_block_delta");
                delta.put("index", 0);
                delta.set("delta", Json.object().put("type", "text_delta").put("text", t.text()));
                yield List.of(event(delta));
            }
            case GenerationEvent.Done d when AnthropicResponses.cancelled(d.completion()) ->
                    List.of(AnthropicErrors.INSTANCE.streamEvent(new ApiError.Internal(Generations.CANCELLED)));
            case GenerationEvent.Done d -> {
                AnthropicResponses.Stop stop = AnthropicResponses.stop(d.completion(), stopSequences);
                ObjectNode blockStop = typed("content_block_stop");
                blockStop.put("index", 0);
                ObjectNode delta = typed("message_delta");
                delta.set("delta", Json.object().put("stop_reason", stop.reason())
                        .put("stop_sequence", stop.sequence()));
                delta.set("usage", Json.object().put("output_tokens", d.completion().completionTokens()));
                yield List.of(event(blockStop), event(delta), event(typed("message_stop")));
            }
            case GenerationEvent.Failed f -> List.of(AnthropicErrors.INSTANCE.streamEvent(f.error()));
        };
    }

    private static ObjectNode typed(String type) {
        return Json.object().put("type", type);
    }

    // The event name repeats the payload's "type", as the API does.
    private static ByteString event(ObjectNode payload) {
        return SseFraming.event(payload.get("type").asText(), Json.write(payload));
    }
}
