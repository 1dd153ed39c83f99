package dev.shoal.tensor.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Cuts special-token texts out of the input before the model's algorithm sees it, as llama.cpp's
 * {@code tokenizer_st_partition} does: tokens are tried longest text first (UTF-8 length), each one splitting every
 * remaining raw-text fragment at all its occurrences, left to right. User-defined tokens are always matched (HF
 * tokenizers pre-split added tokens too); control and unknown tokens only when parsing special tokens.
 */
final class SpecialTokenSplitter {

    /** Candidate ids, longest text first; ties by id so the order is deterministic. */
    private final int[] candidates;
    private final Vocabulary vocab;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
        this.candidates = IntStream.range(0, vocab.size())
                .filter(id -> switch (vocab.types[id]) {
                    case CONTROL, USER_DEFINED, UNKNOWN -> true;
                    default -> false;
                })
                .boxed()
                .sorted(Comparator.<Integer>comparingInt(id -> -vocab.texts[id].getBytes(StandardCharsets.UTF_8).length)
                        .thenComparingInt(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        fragments.add(new Fragment.Text(text));
        for (int id : candidates) {
            if (!parseSpecial && vocab.types[id].matchedOnlyWhenParsingSpecial()) {
                continue;
            }
            String special = vocab.texts[id];
            if (!text.contains(special)) {
                continue; // cheap pre-check: most specials never occur
            }
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (!(f instanceof Fragment.Text(String raw))) {
                    next.add(f);
                    continue;
                }
                int from = 0;
                for (int at = raw.indexOf(special); at >= 0; at = raw.indexOf(special, from)) {
                    if (at > from) {
                        next.add(new Fragment.Text(raw.substring(from, at)));
                    }
                    next.add(new Fragment.Special(id));
                    from = at + special.length();
                }
                if (from == 0) {
                    next.add(f);
                } else if (from < raw.length()) {
                    next.add(new Fragment.Text(raw.substring(from)));
                }
            }
            fragments = next;
        }
        return fragments;
    }
}
