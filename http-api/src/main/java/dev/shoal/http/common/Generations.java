package dev.shoal.http.common;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.http.GenerationObserver;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Runs a generation and turns it into a response: whole (one JSON body) or streamed (one frame per event). The
 * response is built on the common pool, not on the engine thread that completed the generation's future.
 */
public final class Generations {

    /** The message for a generation the engine cancelled on its own (shutdown, unload) while a client waited. */
    public static final String CANCELLED = "the generation was cancelled before it finished";

    private Generations() {
    }

    /**
     * A streamed answer. The status is decided when the service admits or refuses the request; after that, a
     * failure can only be told in-band, by the format's error event.
     *
     * @param format the stream's format, given the prompt's token count
     */
    public static CompletionStage<HttpResponse> stream(InferenceService service, GenerationJob job,
                                                       GenerationObserver observer, ErrorRenderer errors,
                                                       ContentType contentType, IntFunction<StreamFormat> format) {
        ListenerSource bridge = ListenerSource.submit(service, job, observer);
        return bridge.started().handleAsync((promptTokens, failure) -> {
            if (failure != null) {
                return errors.response(Failures.toApiError(failure));
            }
            StreamFormat f = format.apply(promptTokens);
            Source<ByteString, ?> body = Source.from(f.start()).concat(bridge.events().mapConcat(f::on));
            return HttpResponse.create()
                    .withEntity(HttpEntities.createChunked(contentType, body))
                    // proxies (nginx) must pass each frame on as it comes
                    .addHeaders(List.of(RawHeader.create("Cache-Control", "no-cache"),
                            RawHeader.create("X-Accel-Buffering", "no")));
        });
    }

    /** A whole answer, built from the collected text by {@code body}. */
    public static CompletionStage<HttpResponse> collect(InferenceService service, GenerationJob job,
                                                        GenerationObserver observer, ErrorRenderer errors,
                                                        Function<Collected, JsonNode> body) {
        return CollectingListener.submit(service, job, observer).handleAsync((collected, failure) -> {
            if (failure != null) {
                return errors.response(Failures.toApiError(failure));
            }
            if (collected.completion().stopReason() == StopReason.CANCELLED) {
                return errors.response(new ApiError.Internal(CANCELLED));
            }
            return Json.ok(body.apply(collected));
        });
    }
}
