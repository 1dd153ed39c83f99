package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;

/** Shared assertions for streaming decode: every chunk must be whole characters. */
final class StreamDecoderChecks {

    private StreamDecoderChecks() {
    }

    /** Feeds ids one at a time; the last element is what flush() returned. */
    static List<String> feedAll(Tokenizer tok, int[] ids) {
        StreamDecoder d = tok.newStreamDecoder();
        List<String> chunks = new ArrayList<>();
        for (int id : ids) {
            chunks.add(d.feed(id));
        }
        chunks.add(d.flush());
        return chunks;
    }

    /** No chunk holds U+FFFD or half of a surrogate pair (the input text had neither). */
    static void assertWellFormed(List<String> chunks) {
        for (int i = 0; i < chunks.size(); i++) {
            String c = chunks.get(i);
            assertFalse(c.contains("\uFFFD"), "chunk " + i + " has U+FFFD: " + chunks);
            for (int j = 0; j < c.length(); j++) {
                char ch = c.charAt(j);
                boolean paired = Character.isHighSurrogate(ch) ? j + 1 < c.length() && Character.isLowSurrogate(c.charAt(++j))
                        : !Character.isLowSurrogate(ch);
                if (!paired) {
                    fail("chunk " + i + " splits a surrogate pair: " + chunks);
                }
            }
        }
    }

    /** Whether some id produced no text on its own, i.e. the decoder held bytes back. */
    static boolean heldBack(List<String> chunks) {
        return chunks.subList(0, chunks.size() - 1).stream().anyMatch(String::isEmpty);
    }
}
