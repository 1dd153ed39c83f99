package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractParserSettings;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;

import dev.shoal.http.anthropic.AnthropicErrors;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.ErrorRenderer;
import dev.shoal.http.common.Failures;
import dev.shoal.http.ollama.OllamaErrors;
import dev.shoal.http.openai.OpenAiErrors;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * The one exception handler and one rejection handler of the server, and the directive that reads an over-long body
 * out before answering it ({@link #drainingOversized}). Whatever goes wrong, the client gets JSON in the shape of
 * the API its path belongs to, never Pekko's plain-text defaults or a stack trace.
 */
final class ErrorHandling {

    /** The most bytes of an over-long body read and dropped before its 413 goes out, as a multiple of the limit. */
    private static final long DRAIN_FACTOR = 4;

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
        return tooLarge(e.limit());
    }

    private static ApiError tooLarge(long limit) {
        return new ApiError.PayloadTooLarge("the request body is larger than the server accepts (" + limit
                + " bytes; pekko.http.server.parsing.max-content-length)");
    }

    /**
     * A body whose declared length is over the parser's limit is read to its end and dropped, then answered with
     * 413. Answered while the client was still sending it, the response went out and the connection closed under
     * the client: an HTTP/1.1 client that writes its whole body before reading (the JDK's does) saw a broken pipe
     * and no response at all. Bodies past {@link #DRAIN_FACTOR} times the limit are not read; those clients get
     * the 413 only if they read while sending.
     */
    static Route drainingOversized(Supplier<Route> inner) {
        return extractParserSettings(settings -> extractRequestEntity(entity -> {
            long limit = settings.getMaxContentLength();
            OptionalLong declared = entity.getContentLengthOption();
            if (declared.isEmpty() || declared.getAsLong() <= limit || declared.getAsLong() > DRAIN_FACTOR * limit) {
                return inner.get();
            }
            return extractMaterializer(mat -> onComplete(
                    entity.withSizeLimit(DRAIN_FACTOR * limit).discardBytes(mat).completionStage(),
                    drained -> render(tooLarge(limit))));
        }));
    }

    private static Route render(ApiError error) {
        return extractRequest(req -> complete(renderer(Api.of(req.getUri().path())).response(error)));
    }
}
