package dev.shoal.http.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.ErrorRenderer;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.SseFraming;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/** Anthropic's {@code {"type":"error","error":{"type","message"}}}, with its 529 for overload. */
public final class AnthropicErrors implements ErrorRenderer {

    public static final AnthropicErrors INSTANCE = new AnthropicErrors();
    /** Anthropic's "overloaded" status; not in the HTTP registry, so Pekko needs it declared. */
    public static final StatusCode OVERLOADED = StatusCodes.custom(529, "Overloaded",
            "The server is overloaded", false, true);

    private AnthropicErrors() {
    }

    @Override
    public HttpResponse response(ApiError error) {
        StatusCode status = error instanceof ApiError.Overloaded ? OVERLOADED : ErrorRenderer.status(error);
        return Json.response(status, body(error)).addHeaders(ErrorRenderer.headers(error));
    }

    @Override
    public ByteString streamEvent(ApiError error) {
        return SseFraming.event("error", Json.write(body(error)));
    }

    public static ObjectNode body(ApiError error) {
        String type = switch (error) {
            case ApiError.InvalidRequest e -> "invalid_request_error";
            case ApiError.ModelNotFound e -> "not_found_error";
            case ApiError.ContextOverflow e -> "invalid_request_error";
            case ApiError.RouteNotFound e -> "not_found_error";
            case ApiError.MethodNotAllowed e -> "invalid_request_error";
            case ApiError.PayloadTooLarge e -> "request_too_large";
            case ApiError.Overloaded e -> "overloaded_error";
            case ApiError.DoesNotFit e -> "api_error";
            case ApiError.NotFound e -> "not_found_error";
            case ApiError.ServiceUnavailable e -> "api_error";
            case ApiError.Internal e -> "api_error";
        };
        ObjectNode inner = Json.object();
        inner.put("type", type);
        inner.put("message", error.message());
        ObjectNode body = Json.object();
        body.put("type", "error");
        body.set("error", inner);
        return body;
    }
}
