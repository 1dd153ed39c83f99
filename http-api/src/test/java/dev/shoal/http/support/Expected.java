package dev.shoal.http.support;

import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/** What the engine itself produces, called directly: the reference the HTTP answers must equal. */
public final class Expected {

    private Expected() {
    }

    public static GenerationResult greedyRaw(LocalModel lm, String prompt, int maxTokens, List<String> stops) {
        return Generator.generate(lm, PromptIds.raw(lm, prompt), SamplingParams.greedy(),
                PromptIds.limits(lm, maxTokens), stops, t -> true);
    }

    public static GenerationResult greedyChat(LocalModel lm, List<ChatMessage> messages, int maxTokens,
                                              List<String> stops) {
        PromptIds p = PromptIds.chat(lm, messages);
        List<String> all = new ArrayList<>(stops);
        all.addAll(p.templateStops());
        return Generator.generate(lm, p.ids(), SamplingParams.greedy(), PromptIds.limits(lm, maxTokens), all,
                t -> true);
    }

    /** A word of {@code text}, from about the n-th on, whose first occurrence is past the start: a stop string. */
    public static String stopWord(String text, int n) {
        String[] words = text.trim().split("[\\s,.!?']+");
        for (int i = Math.min(n, words.length - 1); i < words.length; i++) {
            if (words[i].length() >= 3 && text.indexOf(words[i]) > 0) {
                return words[i];
            }
        }
        throw new AssertionError("no usable stop word in: " + text);
    }
}
