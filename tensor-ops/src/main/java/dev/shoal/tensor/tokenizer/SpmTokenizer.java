package dev.shoal.tensor.tokenizer;

import dev.shoal.tensor.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece (BPE flavour) as llama.cpp runs it for {@code tokenizer.ggml.model = "llama"}: spaces become
 * {@code ▁}, raw text gets a leading {@code ▁} (after the start and after every special token) unless
 * {@code add_space_prefix} is false, then adjacent symbols are merged greedily — the pair whose merged text is a
 * token with the highest score first, leftmost on ties — starting from single characters. A final symbol that is
 * not a token (only ever a single character) falls back to its UTF-8 bytes as {@code <0xXX>} tokens.
 */
public final class SpmTokenizer extends VocabularyTokenizer {

    private static final char SPACE_MARK = '\u2581'; // ▁

    private final SpecialTokenSplitter specials;
    private final boolean addSpacePrefix;
    private final int[] byteTokens;    // byte value → id used for fallback
    private final byte[][] pieces;     // id → decoded bytes

    private SpmTokenizer(Vocabulary vocab, boolean addSpacePrefix, boolean addBos) {
        super(vocab, addBos);
        this.specials = new SpecialTokenSplitter(vocab);
        this.addSpacePrefix = addSpacePrefix;
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.ids.get(String.format("<0x%02X>", b));
            if (id == null && b < 0x80) {
                id = vocab.ids.get(String.valueOf((char) b)); // llama.cpp's second choice: the byte as text
            }
            byteTokens[b] = id != null ? id : vocab.unk;
        }
        this.pieces = new byte[vocab.size()][];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = decodePiece(vocab.texts[id], vocab.types[id]);
        }
    }

    static SpmTokenizer fromGguf(GgufMetadata md) {
        Vocabulary vocab = Vocabulary.read(md, 1, 2, 0);
        return new SpmTokenizer(vocab,
                md.optBool("tokenizer.ggml.add_space_prefix").orElse(true),
                md.optBool("tokenizer.ggml.add_bos_token").orElse(true));
    }

    private static byte[] decodePiece(String text, TokenType type) {
        return switch (type) {
            case NORMAL, USER_DEFINED -> text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
            case BYTE -> {
                int b = Vocabulary.byteValue(text);
                yield b < 0 ? new byte[0] : new byte[] {(byte) b};
            }
            default -> new byte[0]; // control, unknown, unused: nothing, as llama.cpp without "special"
        };
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 2 + 2);
        if (addBos && vocab.bos >= 0) {
            out.add(vocab.bos);
        }
        if (text.isEmpty()) {
            return out.toArray(); // llama.cpp: no prefix space either, so "" encodes to nothing
        }
        boolean afterSpecial = true;
        for (Fragment f : specials.split(text, parseSpecial)) {
            switch (f) {
                case Fragment.Special(int id) -> {
                    out.add(id);
                    afterSpecial = true;
                }
                case Fragment.Text(String raw) -> {
                    String s = addSpacePrefix && afterSpecial ? " " + raw : raw;
                    encodeRaw(s.replace(' ', SPACE_MARK), out);
                    afterSpecial = false;
                }
            }
        }
        return out.toArray();
    }

    /** One candidate merge of symbols {@code left} and {@code right}, ranked by the merged token's score. */
    private record Bigram(int left, int right, float score, int length) {
    }

    private void encodeRaw(String s, IntList out) {
        // Symbols are code points at first; a merge grows the left symbol over the right one, so every symbol
        // stays a contiguous [start, start+length) slice of s and the chain prev/next skips the absorbed ones.
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            length[i] = Character.charCount(s.codePointAt(at));
            at += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) -> {
            int c = Float.compare(b.score, a.score);
            return c != 0 ? c : Integer.compare(a.left, b.left);
        });
        for (int i = 1; i < n; i++) {
            offer(queue, s, start, length, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            // Stale entries: a side was absorbed (length 0) or grew since the pair was queued.
            if (length[b.left] == 0 || length[b.right] == 0 || length[b.left] + length[b.right] != b.length) {
                continue;
            }
            length[b.left] += length[b.right];
            length[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            offer(queue, s, start, length, prev[b.left], b.left);
            offer(queue, s, start, length, b.left, next[b.left]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            String symbol = s.substring(start[i], start[i] + length[i]);
            Integer id = vocab.ids.get(symbol);
            if (id != null) {
                out.add(id);
            } else {
                for (byte x : symbol.getBytes(StandardCharsets.UTF_8)) {
                    if (byteTokens[x & 0xFF] >= 0) {
                        out.add(byteTokens[x & 0xFF]);
                    }
                }
            }
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String s, int[] start, int[] length, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int len = length[left] + length[right];
        Integer id = vocab.ids.get(s.substring(start[left], start[left] + len));
        if (id != null) {
            queue.add(new Bigram(left, right, vocab.scores[id], len));
        }
    }

    @Override
    byte[][] pieces() {
        return pieces;
    }

    @Override
    public boolean addsSpacePrefix() {
        return addSpacePrefix;
    }
}
