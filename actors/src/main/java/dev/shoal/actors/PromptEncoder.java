package dev.shoal.actors;

import dev.shoal.actors.api.Prompt;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.chat.ChatTemplate;
import dev.shoal.tensor.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Prompt} as token ids, as llama.cpp's server makes them. Templated text may contain special-token text
 * ({@code <|im_start|>}, the BOS text), so it is encoded with special tokens parsed, and BOS is added only when the
 * model wants one and the template did not already print it. Raw text is encoded as plain text, with BOS when the
 * model wants one (or the prompt is empty, so there is something to continue from).
 */
public final class PromptEncoder {

    private PromptEncoder() {
    }

    /** @throws dev.shoal.tensor.chat.ChatTemplateException when the template refuses the messages */
    public static int[] encode(Tokenizer tokenizer, ChatTemplate template, Prompt prompt) {
        return switch (prompt) {
            case Prompt.Chat c -> templated(tokenizer, template, c.messages());
            case Prompt.Text t when t.template() -> {
                List<ChatMessage> messages = new ArrayList<>(2);
                if (t.system() != null && !t.system().isBlank()) {
                    messages.add(ChatMessage.system(t.system()));
                }
                messages.add(ChatMessage.user(t.text()));
                yield templated(tokenizer, template, messages);
            }
            case Prompt.Text t -> tokenizer.encode(t.text(), tokenizer.addBosByDefault() || t.text().isEmpty(), false);
            case Prompt.Continuation c -> {
                int[] head = encode(tokenizer, template, c.original());
                int[] ids = java.util.Arrays.copyOf(head, head.length + c.generated().length);
                System.arraycopy(checkedIds(tokenizer, c.generated()), 0, ids, head.length, c.generated().length);
                yield ids;
            }
        };
    }

    /** How many ids at the end of {@code prompt}'s encoding are output already sent (a continuation's tokens). */
    public static int resumed(Prompt prompt) {
        return prompt instanceof Prompt.Continuation c ? c.generated().length : 0;
    }

    private static int[] checkedIds(Tokenizer tokenizer, int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= tokenizer.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of "
                        + tokenizer.vocabSize());
            }
        }
        return ids.clone();
    }

    private static int[] templated(Tokenizer tokenizer, ChatTemplate template, List<ChatMessage> messages) {
        String rendered = template.render(messages, true);
        String bos = template.bosToken();
        boolean addBos = tokenizer.addBosByDefault() && (bos.isEmpty() || !rendered.startsWith(bos));
        return tokenizer.encode(rendered, addBos, true);
    }
}
