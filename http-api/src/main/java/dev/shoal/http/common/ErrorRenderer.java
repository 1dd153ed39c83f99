package dev.shoal.http.common;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.util.ByteString;

/** One API's way of telling a client that something failed: as a response, and as a stream's last event. */
public interface ErrorRenderer {

    HttpResponse response(ApiError error);

    /** The event that ends a stream that fails after its headers went out (the status can no longer change). */
    ByteString streamEvent(ApiError error);

    /** The status most APIs use for each error; an API overrides where it differs (Anthropic's 529). */
    static StatusCode status(ApiError error) {
        return switch (error) {
            case ApiError.InvalidRequest e -> StatusCodes.BAD_REQUEST;
            case ApiError.ModelNotFound e -> StatusCodes.NOT_FOUND;
            case ApiError.ContextOverflow e -> StatusCodes.BAD_REQUEST;
            case ApiError.RouteNotFound e -> StatusCodes.NOT_FOUND;
            case ApiError.MethodNotAllowed e -> StatusCodes.METHOD_NOT_ALLOWED;
            case ApiError.PayloadTooLarge e -> StatusCodes.PAYLOAD_TOO_LARGE;
            case ApiError.Overloaded e -> StatusCodes.TOO_MANY_REQUESTS;
            case ApiError.DoesNotFit e -> StatusCodes.INTERNAL_SERVER_ERROR;
            case ApiError.NotFound e -> StatusCodes.NOT_FOUND;
            case ApiError.ServiceUnavailable e -> StatusCodes.SERVICE_UNAVAILABLE;
            case ApiError.Internal e -> StatusCodes.INTERNAL_SERVER_ERROR;
        };
    }

    /** {@code Retry-After} for overload, {@code Allow} for a wrong method. */
    static List<HttpHeader> headers(ApiError error) {
        return switch (error) {
            case ApiError.Overloaded e -> List.of(RetryAfter.create((long) e.retryAfterSeconds()));
            case ApiError.MethodNotAllowed e -> List.of(RawHeader.create("Allow", String.join(", ", e.allowed())));
            case ApiError.InvalidRequest e -> List.of();
            case ApiError.ModelNotFound e -> List.of();
            case ApiError.ContextOverflow e -> List.of();
            case ApiError.RouteNotFound e -> List.of();
            case ApiError.PayloadTooLarge e -> List.of();
            case ApiError.DoesNotFit e -> List.of();
            case ApiError.NotFound e -> List.of();
            case ApiError.ServiceUnavailable e -> List.of();
            case ApiError.Internal e -> List.of();
        };
    }
}
