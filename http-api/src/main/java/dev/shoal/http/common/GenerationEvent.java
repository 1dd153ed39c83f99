package dev.shoal.http.common;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.ServiceError;

/** What a streaming response is made from, after the generation was admitted. */
public sealed interface GenerationEvent {

    record Text(String text) implements GenerationEvent {
    }

    record Done(Completion completion) implements GenerationEvent {
    }

    record Failed(ApiError error) implements GenerationEvent {
    }

    static GenerationEvent failed(ServiceError error) {
        return new Failed(ApiError.of(error));
    }
}
