package dev.shoal.actors.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.shoal.tensor.chat.ChatMessage;
import java.util.List;

/**
 * What to generate from: chat messages rendered through the model's template, raw text, or a generation to
 * continue. Jobs cross
 * the cluster (Jackson CBOR), hence the type tags.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Prompt.Chat.class, name = "chat"),
    @JsonSubTypes.Type(value = Prompt.Text.class, name = "text"),
    @JsonSubTypes.Type(value = Prompt.Continuation.class, name = "continuation")})
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

    /**
     * {@code original} as ids followed by {@code generated}: how a cluster continues a generation on a new
     * placement after a node died, from the tokens the client has already been sent.
     */
    record Continuation(Prompt original, int[] generated) implements Prompt {
    }
}
