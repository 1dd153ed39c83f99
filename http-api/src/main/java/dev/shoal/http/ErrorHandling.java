package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import dev.shoal.http.anthropic.AnthropicErrors;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.ErrorRenderer;
import dev.shoal.http.common.Failures;
import dev.shoal.http.ollama.OllamaErrors;
import dev.shoal.http.openai.OpenAiErrors;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * The one exception handler and one rejection handler of the server. Whatever goes wrong, the client gets JSON
 * in the shape of the API its path belongs to, never Pekko's plain-text defaults or a stack trace.
 */
final class ErrorHandling {

    private ErrorHandling() {
    }

    static ErrorRenderer renderer(Api api) {
        return switch (api) {
            case OPENAI, NODE -> OpenAiErrors.INSTANCE;
            case ANTHROPIC -> AnthropicErrors.INSTANCE;
            case OLLAMA -> OllamaErrors.INSTANCE;
        };
    }

    static ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder()
                .match(ApiException.class, e -> render(e.error()))
                .match(EntityStreamSizeException.class, e -> render(tooLarge(e)))
                .matchAny(t -> render(Failures.toApiError(t))) // logs the unexpected failure
                .build();
    }

    static RejectionHandler rejections() {
        return RejectionHandler.newBuilder()
                .handleAll(MethodRejection.class, rejections -> extractRequest(req -> render(
                        new ApiError.MethodNotAllowed(req.method().name(), req.getUri().path(),
                                rejections.stream().map(r -> r.supported().name()).distinct().toList()))))
                // an over-long body surfaces as "malformed" when the entity is read
                .handle(MalformedRequestContentRejection.class, r -> render(
                        r.getCause() instanceof EntityStreamSizeException e ? tooLarge(e)
                                : ApiError.invalid("malformed request body: " + r.message(), null)))
                .handle(Rejection.class, r -> render(ApiError.invalid("the request was rejected: "
                        + r.getClass().getSimpleName(), null)))
                .handleNotFound(extractRequest(req -> render(
                        new ApiError.RouteNotFound(req.method().name(), req.getUri().path()))))
                .build();
    }

    private static ApiError tooLarge(EntityStreamSizeException e) {
        return new ApiError.PayloadTooLarge("the request body is larger than the server accepts (" + e.limit()
                + " bytes; pekko.http.server.parsing.max-content-length)");
    }

    private static Route render(ApiError error) {
        return extractRequest(req -> complete(renderer(Api.of(req.getUri().path())).response(error)));
    }
}
