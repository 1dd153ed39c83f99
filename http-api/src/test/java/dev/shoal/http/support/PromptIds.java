package dev.shoal.http.support;

import dev.shoal.actors.api.Prompt;
import dev.shoal.tensor.chat.BuiltinChatTemplate;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.GenerationLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * How the test engine turns a {@link Prompt} into token ids, as {@code shoal generate} does: chat prompts
 * through the model's template (special tokens parsed, BOS unless the template printed it), raw text with BOS
 * when the model wants one. A built-in template's turn marker becomes a stop string, since a base model's EOS
 * would not end the turn.
 */
public record PromptIds(int[] ids, List<String> templateStops) {

    public static PromptIds of(LocalModel lm, Prompt prompt) {
        return switch (prompt) {
            case Prompt.Chat c -> chat(lm, c.messages());
            case Prompt.Text t when t.template() -> {
                List<ChatMessage> messages = new ArrayList<>();
                if (t.system() != null && !t.system().isEmpty()) {
                    messages.add(ChatMessage.system(t.system()));
                }
                messages.add(ChatMessage.user(t.text()));
                yield chat(lm, messages);
            }
            case Prompt.Text t -> new PromptIds(raw(lm, t.text()), List.of());
            case Prompt.Continuation c -> throw new IllegalArgumentException("continuations are the cluster's");
        };
    }

    public static PromptIds chat(LocalModel lm, List<ChatMessage> messages) {
        String rendered = lm.chatTemplate().render(messages, true);
        int[] ids = lm.tokenizer().encode(rendered, lm.tokenizer().addBosByDefault()
                && !rendered.startsWith(lm.chatTemplate().bosToken()), true);
        List<String> stops = lm.chatTemplate().builtin().map(BuiltinChatTemplate::stopStrings).orElse(List.of());
        return new PromptIds(ids, stops);
    }

    public static int[] raw(LocalModel lm, String text) {
        return lm.tokenizer().encode(text, lm.tokenizer().addBosByDefault() || text.isEmpty(), false);
    }

    /** {@code maxTokens} 0 means until the context is full. */
    public static GenerationLimits limits(LocalModel lm, int maxTokens) {
        return maxTokens > 0 ? new GenerationLimits(maxTokens, lm.context())
                : GenerationLimits.contextOnly(lm.context());
    }
}
