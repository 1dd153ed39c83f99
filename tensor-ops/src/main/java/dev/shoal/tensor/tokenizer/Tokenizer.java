package dev.shoal.tensor.tokenizer;

import dev.shoal.tensor.gguf.GgufMetadata;
import java.util.OptionalInt;

/**
 * A tokenizer built from GGUF metadata alone, reproducing llama.cpp's tokenization: SentencePiece for
 * {@code tokenizer.ggml.model = "llama"}, byte-level BPE with a pre-tokenizer chosen by {@code tokenizer.ggml.pre}
 * for {@code "gpt2"}. Instances are immutable and safe to share between threads.
 */
public sealed interface Tokenizer permits VocabularyTokenizer {

    /** Builds the tokenizer the metadata describes; an unsupported model or pre-tokenizer raises IllegalArgumentException. */
    static Tokenizer fromGguf(GgufMetadata md) {
        String model = md.string("tokenizer.ggml.model");
        return switch (model) {
            case "llama" -> SpmTokenizer.fromGguf(md);
            case "gpt2" -> BpeTokenizer.fromGguf(md);
            default -> throw new IllegalArgumentException("tokenizer.ggml.model '" + model
                    + "' is not supported; supported: 'llama' (SentencePiece), 'gpt2' (byte-level BPE)");
        };
    }

    /** Exactly what llama.cpp's tokenizer tests compare: no BOS, special-token texts encoded as plain text. */
    default int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * @param addBos       prepend the BOS id (see {@link #addBosByDefault()}); ignored when the vocab has none
     * @param parseSpecial control-token texts in {@code text} (e.g. {@code <|im_start|>}) become their ids;
     *                     user-defined tokens are matched either way, as in llama.cpp
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** The text of a sequence of ids; control tokens give nothing; invalid UTF-8 becomes U+FFFD. */
    default String decode(int[] ids) {
        StreamDecoder d = newStreamDecoder();
        StringBuilder sb = new StringBuilder(ids.length * 4);
        for (int id : ids) {
            sb.append(d.feed(id));
        }
        return sb.append(d.flush()).toString();
    }

    /** What one token decodes to on its own (a lone byte of a multi-byte character shows as U+FFFD). */
    default String piece(int id) {
        return Utf8Decoder.decode(pieceBytes(id));
    }

    /** The raw bytes one token contributes to decoded text (a copy); empty for control tokens. */
    byte[] pieceBytes(int id);

    /** The token's text as stored in the vocabulary (GPT-2 byte-unicode form for BPE, {@code ▁} for SPM). */
    String tokenText(int id);

    TokenType tokenType(int id);

    /** The id whose stored text is exactly {@code text}, e.g. {@code "<|im_start|>"}. */
    OptionalInt tokenId(String text);

    int vocabSize();

    /** The BOS id, or -1 when the vocab has none. */
    int bos();

    /** The EOS id, or -1 when the vocab has none. */
    int eos();

    /** EOS, EOT, EOM and end-of-turn tokens recognised by their text ({@code <|eot_id|>}, {@code <|im_end|>}...). */
    boolean isEndOfGeneration(int id);

    /** Whether prompts for this model start with BOS ({@code tokenizer.ggml.add_bos_token}, else llama.cpp's default). */
    boolean addBosByDefault();

    /** Whether encoding prefixes raw text with a space (SentencePiece {@code add_space_prefix}); decoding then drops it. */
    boolean addsSpacePrefix();

    default StreamDecoder newStreamDecoder() {
        return new StreamDecoder(this);
    }
}
