package dev.shoal.tensor.tokenizer;

/**
 * A token's kind, as stored per token in GGUF {@code tokenizer.ggml.token_type} (the ordinal is the stored code,
 * llama.cpp's {@code llama_token_type}). It decides how a token is decoded and whether its text is matched
 * literally in the input before the model's algorithm runs.
 */
public enum TokenType {
    /** 0: what a file without types, or with an out-of-range code, gets; decodes to nothing. */
    UNDEFINED,
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    /** A SentencePiece byte-fallback token, text {@code <0xXX>}. */
    BYTE;

    private static final TokenType[] BY_CODE = values();

    static TokenType ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEFINED;
    }

    /** Control and unknown tokens are matched in input text only when the caller asks to parse special tokens. */
    boolean matchedOnlyWhenParsingSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }
}
