package dev.shoal.tensor.sample;

import java.util.Optional;

/**
 * The length limits of one generation: at most {@code maxTokens} new tokens, and never more than
 * {@code contextLength} tokens in the sequence (prompt included).
 */
public record GenerationLimits(int maxTokens, int contextLength) {

    public GenerationLimits {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be > 0, got " + maxTokens);
        }
        if (contextLength <= 0) {
            throw new IllegalArgumentException("contextLength must be > 0, got " + contextLength);
        }
    }

    /** No token budget: only the context window limits the generation. */
    public static GenerationLimits contextOnly(int contextLength) {
        return new GenerationLimits(Integer.MAX_VALUE, contextLength);
    }

    /**
     * Whether a sequence that has generated {@code generated} tokens and holds {@code sequenceLength} tokens in
     * all must stop before producing another. The token budget is reported first when both are reached.
     */
    public Optional<StopReason> reached(int generated, int sequenceLength) {
        if (generated >= maxTokens) {
            return Optional.of(StopReason.MAX_TOKENS);
        }
        if (sequenceLength >= contextLength) {
            return Optional.of(StopReason.CONTEXT_FULL);
        }
        return Optional.empty();
    }
}
