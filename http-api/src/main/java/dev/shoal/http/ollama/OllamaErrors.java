package dev.shoal.http.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.ErrorRenderer;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;

/** Ollama's {@code {"error":"…"}}, as a body and as an NDJSON line mid-stream. */
public final class OllamaErrors implements ErrorRenderer {

    public static final OllamaErrors INSTANCE = new OllamaErrors();

    private OllamaErrors() {
    }

    @Override
    public HttpResponse response(ApiError error) {
        return Json.response(ErrorRenderer.status(error), body(error)).addHeaders(ErrorRenderer.headers(error));
    }

    @Override
    public ByteString streamEvent(ApiError error) {
        return SseFraming.line(Json.write(body(error)));
    }

    public static ObjectNode body(ApiError error) {
        ObjectNode body = Json.object();
        body.put("error", error.message());
        return body;
    }
}
