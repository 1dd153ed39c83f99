package dev.shoal.tensor.tokenizer;

import java.util.OptionalInt;

/**
 * What both tokenizer algorithms answer the same way from their {@link Vocabulary}: token texts, types, ids, the
 * special ids and the bytes each token decodes to. Subclasses differ only in how they encode and in
 * {@link #pieces}, each token's decoded bytes, which they build once.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer {

    protected final Vocabulary vocab;
    private final boolean addBos;

    VocabularyTokenizer(Vocabulary vocab, boolean addBos) {
        this.vocab = vocab;
        this.addBos = addBos;
    }

    /** Token id → the raw bytes it contributes to decoded text (never handed out without a copy). */
    abstract byte[][] pieces();

    @Override
    public byte[] pieceBytes(int id) {
        vocab.check(id);
        return pieces()[id].clone();
    }

    @Override
    public String tokenText(int id) {
        vocab.check(id);
        return vocab.texts[id];
    }

    @Override
    public TokenType tokenType(int id) {
        vocab.check(id);
        return vocab.types[id];
    }

    @Override
    public OptionalInt tokenId(String text) {
        return vocab.id(text);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return vocab.bos;
    }

    @Override
    public int eos() {
        return vocab.eos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && vocab.endOfGeneration.get(id);
    }

    @Override
    public boolean addBosByDefault() {
        return addBos;
    }
}
