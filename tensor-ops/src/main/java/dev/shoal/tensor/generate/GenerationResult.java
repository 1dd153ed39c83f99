package dev.shoal.tensor.generate;

import dev.shoal.tensor.sample.StopReason;

/**
 * What one generation did. {@code ids} are the generated ids (an end-of-generation token included when that was
 * the stop); {@code promptNanos} covers the prompt's forward passes, {@code generationNanos} the rest.
 */
public record GenerationResult(int promptTokens, int[] ids, String text, StopReason stopReason, long promptNanos,
                               long generationNanos) {

    public int generatedTokens() {
        return ids.length;
    }

    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens / (promptNanos / 1e9);
    }

    /** Decode speed: tokens after the first over the time spent producing them. */
    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : Math.max(0, ids.length - 1) / (generationNanos / 1e9);
    }
}
