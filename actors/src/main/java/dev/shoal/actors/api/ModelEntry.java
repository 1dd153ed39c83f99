package dev.shoal.actors.api;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A model file the node can serve. {@code name} is the file name without {@code .gguf}; {@code quantization} is
 * the llama.cpp file-type name (e.g. {@code Q4_K_M}, or the dominant tensor type when the file does not say);
 * {@code digest} is a stable hex id of (path, size, modification time), not a content hash.
 *
 * @param details architecture, context length, embedding length, layer count, chat template... for /api/show
 */
public record ModelEntry(String name, Path path, long sizeBytes, Instant modified, String architecture,
                         String quantization, long parameterCount, int contextLength, String digest,
                         Map<String, Object> details) {
}
