package dev.shoal.tensor.tokenizer;

import dev.shoal.tensor.gguf.GgufMetadata;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The per-token tables every GGUF tokenizer shares: token text (index = id), type, SentencePiece score, the
 * reverse text → id map, and the special ids. Token text is stored exactly as in the file — for byte-level BPE
 * that is the GPT-2 "byte as unicode" form, for SentencePiece spaces are {@code ▁}.
 */
final class Vocabulary {

    /**
     * Token texts llama.cpp treats as end-of-generation whatever the metadata says (its auto-detection by text),
     * so chat models stop at the end of a turn, not only at EOS.
     */
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
            "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
            "<|return|>", "<|call|>");

    final String[] texts;
    final TokenType[] types;
    final float[] scores;
    final Map<String, Integer> ids;
    final int bos;
    final int eos;
    final int unk;
    final BitSet endOfGeneration;

    private Vocabulary(String[] texts, TokenType[] types, float[] scores, Map<String, Integer> ids,
                       int bos, int eos, int unk, BitSet endOfGeneration) {
        this.texts = texts;
        this.types = types;
        this.scores = scores;
        this.ids = ids;
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.endOfGeneration = endOfGeneration;
    }

    /**
     * Reads the tables; the defaults are llama.cpp's per-model special ids, used when a key is absent or names
     * no token (stories260K stores u32 -1 for "none").
     */
    static Vocabulary read(GgufMetadata md, int defaultBos, int defaultEos, int defaultUnk) {
        String[] texts = md.strings("tokenizer.ggml.tokens").clone();
        int n = texts.length;
        TokenType[] types = new TokenType[n];
        int[] codes = md.optInts("tokenizer.ggml.token_type").orElse(null);
        for (int i = 0; i < n; i++) {
            types[i] = codes == null ? TokenType.NORMAL : i < codes.length ? TokenType.ofCode(codes[i]) : TokenType.UNDEFINED;
        }
        float[] scores = md.optFloats("tokenizer.ggml.scores").map(s -> Arrays.copyOf(s, n)).orElseGet(() -> new float[n]);
        Map<String, Integer> ids = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            if (texts[i].isEmpty()) {
                texts[i] = "[EMPTY_" + i + "]"; // llama.cpp's rename, so an empty text never matches input
            }
            ids.put(texts[i], i); // on duplicate texts the later id wins, as in llama.cpp
        }
        int bos = special(md, "bos", defaultBos, n);
        int eos = special(md, "eos", defaultEos, n);
        int unk = special(md, "unknown", defaultUnk, n);
        BitSet eog = new BitSet(n);
        for (int id : new int[] {eos, special(md, "eot", -1, n), special(md, "eom", -1, n)}) {
            if (id >= 0) {
                eog.set(id);
            }
        }
        for (String text : END_OF_GENERATION_TEXTS) {
            Integer id = ids.get(text);
            if (id != null) {
                eog.set(id);
            }
        }
        return new Vocabulary(texts, types, scores, ids, bos, eos, unk, eog);
    }

    private static int special(GgufMetadata md, String name, int fallback, int n) {
        OptionalLong v = md.optInteger("tokenizer.ggml." + name + "_token_id");
        if (v.isPresent() && v.getAsLong() >= 0 && v.getAsLong() < n) {
            return (int) v.getAsLong();
        }
        return fallback >= 0 && fallback < n ? fallback : -1;
    }

    int size() {
        return texts.length;
    }

    void check(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (texts.length - 1) + ")");
        }
    }

    OptionalInt id(String text) {
        Integer id = ids.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The byte of a {@code <0xXX>} token, or -1 when the text is not of that form. */
    static int byteValue(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            int hi = Character.digit(text.charAt(3), 16);
            int lo = Character.digit(text.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return hi << 4 | lo;
            }
        }
        return -1;
    }
}
