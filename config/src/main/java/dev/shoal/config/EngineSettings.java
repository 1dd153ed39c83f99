package dev.shoal.config;

/**
 * How each loaded model runs ({@code shoal.engine}).
 *
 * @param threads       forward-pass worker threads per model
 * @param contextLength tokens one sequence holds (prompt + generated), capped by the model's trained context
 * @param maxBatch      sequences decoded together, and the prompt chunk size
 * @param maxQueue      requests waiting to join the batch before more are refused
 */
public record EngineSettings(int threads, int contextLength, int maxBatch, int maxQueue) {
}
