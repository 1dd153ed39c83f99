package dev.shoal.actors.api;

import dev.shoal.tensor.sample.SamplingParams;
import java.time.Duration;
import java.util.List;

/**
 * One request to generate. {@code maxTokens} 0 means "until the context is full"; {@code keepAlive} null means
 * the node's default idle time before the model unloads (Ollama {@code keep_alive}); {@link Duration#ZERO}
 * unloads right after.
 */
public record GenerationJob(String model, Prompt prompt, SamplingParams sampling, int maxTokens, List<String> stop,
                            Duration keepAlive) {
}
