package dev.shoal.tensor.tokenizer;

import dev.shoal.tensor.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;

/**
 * Byte-level BPE as llama.cpp runs it for {@code tokenizer.ggml.model = "gpt2"} (GPT-2, Llama 3, Qwen2...):
 * special tokens are cut out, the rest is split into pre-tokens by the {@link PreTokenizer} regex, each
 * pre-token's UTF-8 bytes are written as GPT-2 byte characters, and within a pre-token adjacent symbols are merged
 * by merge rank (lowest first, leftmost on ties) until no listed pair remains.
 *
 * <p>Symbols are token ids from the start (every single byte character is a token in these vocabularies), so a
 * merge is one hash lookup of the id pair rather than string concatenation.
 */
public final class BpeTokenizer extends VocabularyTokenizer {

    private final SpecialTokenSplitter specials;
    private final PreTokenizer pre;
    private final MergeTable merges;
    private final int[] byteTokens;   // byte value → id of its one-character token, -1 if missing
    private final byte[][] pieces;    // id → decoded bytes

    private BpeTokenizer(Vocabulary vocab, PreTokenizer pre, MergeTable merges, boolean addBos) {
        super(vocab, addBos);
        this.specials = new SpecialTokenSplitter(vocab);
        this.pre = pre;
        this.merges = merges;
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.ids.get(String.valueOf(ByteLevel.charOf(b)));
            byteTokens[b] = id == null ? -1 : id;
        }
        this.pieces = new byte[vocab.size()][];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = decodePiece(vocab.texts[id], vocab.types[id]);
        }
    }

    static BpeTokenizer fromGguf(GgufMetadata md) {
        PreTokenizer pre = PreTokenizer.forName(md.optString("tokenizer.ggml.pre").orElse(null));
        Vocabulary vocab = Vocabulary.read(md, 11, 11, -1); // llama.cpp's BPE defaults
        MergeTable merges = MergeTable.parse(md.strings("tokenizer.ggml.merges"), vocab.ids);
        boolean addBos = md.optBool("tokenizer.ggml.add_bos_token").orElse(pre.addBosByDefault);
        return new BpeTokenizer(vocab, pre, merges, addBos);
    }

    private static byte[] decodePiece(String text, TokenType type) {
        return switch (type) {
            case NORMAL -> ByteLevel.decode(text);
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8); // added tokens are stored as plain text
            case BYTE -> {
                int b = Vocabulary.byteValue(text);
                yield b < 0 ? new byte[0] : new byte[] {(byte) b};
            }
            default -> new byte[0];
        };
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 2);
        if (addBos && vocab.bos >= 0) {
            out.add(vocab.bos);
        }
        if (text.isEmpty()) {
            return out.toArray();
        }
        Word word = new Word();
        for (Fragment f : specials.split(text, parseSpecial)) {
            switch (f) {
                case Fragment.Special(int id) -> out.add(id);
                case Fragment.Text(String raw) -> pre.split(raw, piece -> encodeWord(piece, word, out));
            }
        }
        return out.toArray();
    }

    /** Scratch arrays for one pre-token, reused across the pre-tokens of a call. */
    private static final class Word {
        int[] ids = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        final LongMinHeap queue = new LongMinHeap();

        void ensure(int n) {
            if (ids.length < n) {
                int c = Math.max(n, ids.length * 2);
                ids = new int[c];
                prev = new int[c];
                next = new int[c];
            }
        }
    }

    private void encodeWord(String piece, Word w, IntList out) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        if (pre.ignoreMerges) {
            Integer whole = vocab.ids.get(ByteLevel.encode(utf8));
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int n = utf8.length;
        w.ensure(n);
        int[] ids = w.ids;
        int[] prev = w.prev;
        int[] next = w.next;
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[utf8[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Queue entries pack (rank << 32 | left position): the min-heap pops the lowest rank, leftmost first,
        // exactly llama.cpp's bigram order. An entry is stale when its pair no longer has that rank.
        LongMinHeap queue = w.queue;
        queue.clear();
        for (int i = 1; i < n; i++) {
            offer(queue, ids, i - 1, i);
        }
        while (!queue.isEmpty()) {
            long e = queue.poll();
            int rank = (int) (e >>> 32);
            int left = (int) e;
            int right = next[left];
            if (ids[left] < 0 || right < 0 || ids[right] < 0) {
                continue;
            }
            int slot = merges.find(ids[left], ids[right]);
            if (slot < 0 || merges.rank(slot) != rank) {
                continue;
            }
            ids[left] = merges.result(slot);
            ids[right] = -2; // absorbed
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offer(queue, ids, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(queue, ids, left, next[left]);
            }
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            if (ids[i] >= 0) {
                out.add(ids[i]); // a byte without a token (-1) is dropped, as llama.cpp drops it
            }
        }
    }

    private void offer(LongMinHeap queue, int[] ids, int left, int right) {
        if (ids[left] < 0 || ids[right] < 0) {
            return;
        }
        int slot = merges.find(ids[left], ids[right]);
        if (slot >= 0) {
            queue.add((long) merges.rank(slot) << 32 | left);
        }
    }

    @Override
    byte[][] pieces() {
        return pieces;
    }

    @Override
    public boolean addsSpacePrefix() {
        return false;
    }

    @Override
    public String toString() {
        return "BpeTokenizer[pre=" + pre + ", vocab=" + vocab.size() + ", merges=" + merges.size()
                + (merges.skipped() > 0 ? " (" + merges.skipped() + " unusable skipped)" : "") + "]";
    }
}
