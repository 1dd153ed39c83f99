package dev.shoal.actors.api;

import dev.shoal.tensor.sample.StopReason;

/**
 * The end of a generation, with Ollama-style timings in nanoseconds: {@code loadNanos} spent loading the model
 * for this request (0 when it was loaded), {@code promptNanos} evaluating the prompt, {@code generationNanos}
 * producing tokens, {@code totalNanos} from submission to completion.
 */
public record Completion(int promptTokens, int completionTokens, StopReason stopReason, long loadNanos,
                         long promptNanos, long generationNanos, long totalNanos) {
}
