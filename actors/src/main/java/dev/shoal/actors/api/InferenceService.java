package dev.shoal.actors.api;

import java.util.List;
import java.util.Optional;

/**
 * What the HTTP layer asks of a node: the models it can serve, the ones loaded, and generations. Implemented over
 * the model registry and model-instance actors; every method is thread-safe and none blocks on inference.
 */
public interface InferenceService {

    /** GGUF files in the models directory, by name. */
    List<ModelEntry> models();

    /** A model by name ({@code name} or Ollama-style {@code name:tag}). */
    Optional<ModelEntry> find(String name);

    /** Models loaded now (Ollama {@code /api/ps}). */
    List<LoadedModel> loaded();

    /**
     * Starts a generation. Events reach {@code listener} in order on an engine thread: {@code onStart} once the
     * prompt is tokenized and admitted, {@code onText} for each safe-to-show piece, then exactly one of
     * {@code onComplete} or {@code onError}. Failures known before admission (unknown model, does not fit, queue
     * full, prompt too long, bad parameters) arrive as {@code onError} without {@code onStart}.
     */
    GenerationHandle submit(GenerationJob job, GenerationListener listener);
}
