package dev.shoal.tensor.synth;

import dev.shoal.tensor.gguf.GgufValueType;
import dev.shoal.tensor.gguf.GgufWriter;
import dev.shoal.tensor.gguf.MetadataValue;

/**
 * A SentencePiece-style vocabulary of any size ≥ 512 for synthetic models that are not given a real one:
 * {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte-fallback tokens, then lowercase letter strings with and
 * without the ▁ word prefix in order of length (scores fall with the index, so shorter pieces merge first). Any
 * text tokenizes (bytes fall back), and generated ids decode to readable pseudo-words.
 */
public final class SyntheticVocab {

    private SyntheticVocab() {
    }

    public static void write(GgufWriter w, int size) {
        if (size < 300) {
            throw new IllegalArgumentException("a synthetic vocabulary needs at least 300 tokens, got " + size);
        }
        String[] tokens = new String[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = 2;
        types[1] = 3;
        types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        int id = 259;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (long n = 0; id < size; n++) {
            String word = letters(n);
            for (String piece : new String[] {"▁" + word, word}) {
                if (id < size && seen.add(piece)) {
                    tokens[id] = piece;
                    scores[id] = -(id - 259);
                    types[id] = 1;
                    id++;
                }
            }
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.put("tokenizer.ggml.tokens", MetadataValue.array(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", MetadataValue.array(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", MetadataValue.array(GgufValueType.INT32, types));
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);
        w.putUInt32("tokenizer.ggml.unknown_token_id", 0);
    }

    /** 0 → "a", 25 → "z", 26 → "aa", ... (bijective base 26). */
    private static String letters(long n) {
        StringBuilder sb = new StringBuilder();
        long v = n + 1;
        while (v > 0) {
            v--;
            sb.append((char) ('a' + v % 26));
            v /= 26;
        }
        return sb.reverse().toString();
    }
}
