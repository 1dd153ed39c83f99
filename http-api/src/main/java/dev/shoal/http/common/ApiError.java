package dev.shoal.http.common;

import dev.shoal.actors.api.ServiceError;
import java.util.List;

/**
 * Everything a request can fail with, independent of which API it came through. Each API renders these in its
 * own body shape and status (see the {@code *Errors} classes), so a new case fails compilation in all three
 * until it is mapped.
 */
public sealed interface ApiError {

    String message();

    /** A malformed body, a missing or mistyped field, an out-of-range value; {@code param} may be null. */
    record InvalidRequest(String message, String param) implements ApiError {
    }

    record ModelNotFound(String model) implements ApiError {
        @Override
        public String message() {
            return "model '" + model + "' not found";
        }
    }

    record ContextOverflow(int promptTokens, int contextLength) implements ApiError {
        @Override
        public String message() {
            return "the prompt has " + promptTokens + " tokens but the model's context holds " + contextLength;
        }
    }

    /** No route at this path. */
    record RouteNotFound(String method, String path) implements ApiError {
        @Override
        public String message() {
            return "no route for " + method + " " + path;
        }
    }

    record MethodNotAllowed(String method, String path, List<String> allowed) implements ApiError {
        @Override
        public String message() {
            return "method " + method + " is not allowed on " + path + "; allowed: " + String.join(", ", allowed);
        }
    }

    record PayloadTooLarge(String message) implements ApiError {
    }

    record Overloaded(int retryAfterSeconds) implements ApiError {
        @Override
        public String message() {
            return "the server is busy: the request queue is full; retry after " + retryAfterSeconds + " s";
        }
    }

    /** The model cannot be placed in this node's memory. */
    record DoesNotFit(String message) implements ApiError {
    }

    /**
     * Something the request names is not there, when it is neither a model this node serves nor a route: a model
     * no cluster member holds, the cluster endpoints on a node that runs without a cluster view.
     *
     * @param param the request parameter at fault, or null
     * @param code  a stable machine-readable code (OpenAI's {@code error.code})
     */
    record NotFound(String message, String param, String code) implements ApiError {
    }

    /** What the request needs (the cluster view) failed or did not answer in time; a later retry may succeed. */
    record ServiceUnavailable(String message) implements ApiError {
    }

    record Internal(String message) implements ApiError {
    }

    static ApiError of(ServiceError error) {
        return switch (error) {
            case ServiceError.ModelNotFound e -> new ModelNotFound(e.model());
            case ServiceError.InvalidRequest e -> new InvalidRequest(e.message(), e.param());
            case ServiceError.ContextOverflow e -> new ContextOverflow(e.promptTokens(), e.contextLength());
            case ServiceError.DoesNotFit e -> new DoesNotFit(e.message());
            case ServiceError.Overloaded e -> new Overloaded(Math.max(1, e.retryAfterSeconds()));
            case ServiceError.Internal e -> new Internal(e.message());
        };
    }

    static InvalidRequest invalid(String message, String param) {
        return new InvalidRequest(message, param);
    }
}
