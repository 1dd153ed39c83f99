package dev.shoal.actors.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Why a generation could not run or stopped. Each API maps these to its own status and error body:
 * {@link ModelNotFound} 404, {@link InvalidRequest} and {@link ContextOverflow} 400, {@link DoesNotFit} 507 (Ollama
 * and OpenAI 500 with the message), {@link Overloaded} 429 / Anthropic 529 with Retry-After, {@link Internal} 500.
 * Errors cross the cluster (Jackson CBOR), hence the type tags.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ServiceError.ModelNotFound.class, name = "model-not-found"),
    @JsonSubTypes.Type(value = ServiceError.InvalidRequest.class, name = "invalid-request"),
    @JsonSubTypes.Type(value = ServiceError.ContextOverflow.class, name = "context-overflow"),
    @JsonSubTypes.Type(value = ServiceError.DoesNotFit.class, name = "does-not-fit"),
    @JsonSubTypes.Type(value = ServiceError.Overloaded.class, name = "overloaded"),
    @JsonSubTypes.Type(value = ServiceError.Internal.class, name = "internal")})
public sealed interface ServiceError {

    String message();

    record ModelNotFound(String model) implements ServiceError {
        @JsonIgnore
        @Override
        public String message() {
            return "model '" + model + "' not found";
        }
    }

    /** {@code param} names the offending field when there is one (else null). */
    record InvalidRequest(String message, String param) implements ServiceError {
    }

    record ContextOverflow(int promptTokens, int contextLength) implements ServiceError {
        @JsonIgnore
        @Override
        public String message() {
            return "the prompt has " + promptTokens + " tokens but the model's context holds " + contextLength;
        }
    }

    record DoesNotFit(String model, long neededBytes, long availableBytes) implements ServiceError {
        @JsonIgnore
        @Override
        public String message() {
            return String.format("model '%s' needs %.2f GiB but this node has %.2f GiB available", model,
                    neededBytes / 1073741824.0, availableBytes / 1073741824.0);
        }
    }

    record Overloaded(int retryAfterSeconds) implements ServiceError {
        @JsonIgnore
        @Override
        public String message() {
            return "the server is busy: the request queue is full; retry after " + retryAfterSeconds + " s";
        }
    }

    record Internal(String message) implements ServiceError {
    }
}
