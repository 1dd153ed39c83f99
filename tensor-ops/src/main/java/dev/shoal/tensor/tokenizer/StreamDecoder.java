package dev.shoal.tensor.tokenizer;

/**
 * Turns generated token ids into text as they arrive, for streaming output. Each {@link #feed} returns only text
 * that is complete: bytes of a character split across tokens are held back until the character is whole, so no
 * emitted chunk ends in a broken character. Concatenating every chunk and {@link #flush()} equals
 * {@link Tokenizer#decode} of the same ids (decode is implemented with this class).
 *
 * <p>With a SentencePiece space prefix, the leading space of the first token that produces any text is dropped
 * (control tokens such as BOS produce none), matching how the prefix was added when encoding.
 */
public final class StreamDecoder {

    private final Tokenizer tokenizer;
    private final Utf8Decoder utf8 = new Utf8Decoder();
    private boolean dropLeadingSpace;

    StreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.dropLeadingSpace = tokenizer.addsSpacePrefix();
    }

    /** Adds one token; returns the text completed by it, possibly empty. */
    public String feed(int id) {
        byte[] piece = tokenizer.pieceBytes(id);
        StringBuilder out = new StringBuilder(piece.length);
        int from = 0;
        if (dropLeadingSpace && piece.length > 0) {
            dropLeadingSpace = false;
            from = piece[0] == ' ' ? 1 : 0;
        }
        for (int i = from; i < piece.length; i++) {
            utf8.accept(piece[i], out);
        }
        return out.toString();
    }

    /** Ends the stream: bytes of a character that never completed come out as U+FFFD. */
    public String flush() {
        StringBuilder out = new StringBuilder(1);
        utf8.finish(out);
        return out.toString();
    }
}
