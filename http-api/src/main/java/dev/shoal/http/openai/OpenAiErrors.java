package dev.shoal.http.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.ErrorRenderer;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;

/** OpenAI's {@code {"error":{"message","type","param","code"}}}. */
public final class OpenAiErrors implements ErrorRenderer {

    public static final OpenAiErrors INSTANCE = new OpenAiErrors();

    private OpenAiErrors() {
    }

    @Override
    public HttpResponse response(ApiError error) {
        return Json.response(ErrorRenderer.status(error), body(error)).addHeaders(ErrorRenderer.headers(error));
    }

    @Override
    public ByteString streamEvent(ApiError error) {
        return SseFraming.data(Json.write(body(error)));
    }

    public static ObjectNode body(ApiError error) {
        record Shape(String type, String param, String code) {
        }
        Shape s = switch (error) {
            case ApiError.InvalidRequest e -> new Shape("invalid_request_error", e.param(), null);
            case ApiError.ModelNotFound e -> new Shape("invalid_request_error", "model", "model_not_found");
            case ApiError.ContextOverflow e ->
                    new Shape("invalid_request_error", "messages", "context_length_exceeded");
            case ApiError.RouteNotFound e -> new Shape("invalid_request_error", null, "unknown_url");
            case ApiError.MethodNotAllowed e -> new Shape("invalid_request_error", null, "method_not_allowed");
            case ApiError.PayloadTooLarge e -> new Shape("invalid_request_error", null, "request_too_large");
            case ApiError.Overloaded e -> new Shape("rate_limit_error", null, "rate_limit_exceeded");
            case ApiError.DoesNotFit e -> new Shape("server_error", "model", "model_does_not_fit");
            case ApiError.NotFound e -> new Shape("invalid_request_error", e.param(), e.code());
            case ApiError.ServiceUnavailable e -> new Shape("server_error", null, "service_unavailable");
            case ApiError.Internal e -> new Shape("server_error", null, null);
        };
        ObjectNode inner = Json.object();
        inner.put("message", error.message());
        inner.put("type", s.type());
        inner.put("param", s.param());
        inner.put("code", s.code());
        ObjectNode body = Json.object();
        body.set("error", inner);
        return body;
    }
}
