package dev.shoal.actors.api;

import dev.shoal.tensor.chat.ChatMessage;
import java.util.List;

/** What to generate from: chat messages rendered through the model's template, or raw text. */
public sealed interface Prompt {

    /** Rendered with the model's chat template, generation prompt added. */
    record Chat(List<ChatMessage> messages) implements Prompt {
    }

    /**
     * Raw text. {@code template} true wraps it as one user message (Ollama /api/generate without {@code raw});
     * false feeds it as is (OpenAI /v1/completions, Ollama raw mode), with BOS when the model wants one.
     */
    record Text(String text, boolean template, String system) implements Prompt {
    }
}
