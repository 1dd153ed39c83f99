package dev.shoal.tensor.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The regex that splits raw text into pre-tokens before byte-level BPE, selected by {@code tokenizer.ggml.pre}.
 * The patterns are llama.cpp's (its {@code llm_tokenizer_bpe} table), which rewrites the HF {@code (?i:'s|…)} as
 * explicit case classes. {@code \s} must mean Unicode White_Space as in llama.cpp, hence
 * UNICODE_CHARACTER_CLASS; that flag changes nothing else here (no \w, \d, \b or case folding is used), and
 * \p{L}/\p{N} are Unicode categories either way.
 *
 * <p>{@code \s+(?!\S)} leaves the last space of a run for the next word (" Hello"); it needs backtracking, so no
 * possessive quantifier there. GPT-2's pattern in llama.cpp lacks the final {@code |\s+}, but its hand-written
 * splitter behaves as if it were present (a lone tab before a letter is still a piece), so it is added.
 */
enum PreTokenizer {

    /** GPT-2 and, approximately, llama.cpp's "default" (which there is a cascade of four patterns). */
    GPT2(false, false, "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            "gpt-2", "default"),
    /** Llama 3: digits in groups of up to three; whole pre-tokens found in the vocab skip merging. */
    LLAMA3(true, true, "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "llama-bpe", "llama3", "llama-v3"),
    /** Qwen2 / Qwen1.5: as Llama 3 but single digits. */
    QWEN2(false, false, "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "qwen2");

    /** llama.cpp's {@code ignore_merges}: look the whole pre-token up in the vocab before merging. */
    final boolean ignoreMerges;
    /** llama.cpp's add_bos default for this pre-tokenizer when the file has no add_bos_token key. */
    final boolean addBosByDefault;
    private final Pattern pattern;
    private final List<String> names;

    PreTokenizer(boolean ignoreMerges, boolean addBosByDefault, String regex, String... names) {
        this.ignoreMerges = ignoreMerges;
        this.addBosByDefault = addBosByDefault;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.names = List.of(names);
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value; absent means "default", as in llama.cpp. */
    static PreTokenizer forName(String pre) {
        String name = pre == null || pre.isEmpty() ? "default" : pre;
        for (PreTokenizer p : values()) {
            if (p.names.contains(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("tokenizer.ggml.pre '" + pre + "' is not a supported pre-tokenizer; supported: "
                + Arrays.stream(values()).flatMap(p -> p.names.stream()).collect(Collectors.joining(", ")));
    }

    /** Emits the pre-tokens of {@code text} in order; any text between matches is a pre-token too, as in llama.cpp. */
    void split(String text, Consumer<String> sink) {
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                sink.accept(text.substring(last, m.start()));
            }
            if (m.end() > m.start()) {
                sink.accept(text.substring(m.start(), m.end()));
            }
            last = m.end();
        }
        if (last < text.length()) {
            sink.accept(text.substring(last));
        }
    }
}
