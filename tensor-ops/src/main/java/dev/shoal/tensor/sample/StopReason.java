package dev.shoal.tensor.sample;

/** Why a sequence stopped generating. */
public enum StopReason {
    /** The model produced its end-of-sequence (or end-of-turn) token. */
    EOS,
    /** Generated text contained one of the request's stop strings. */
    STOP_STRING,
    /** The request's token budget was used up. */
    MAX_TOKENS,
    /** Prompt plus generated tokens filled the context window. */
    CONTEXT_FULL,
    /** The client went away or the request was cancelled. */
    CANCELLED;

    /** The OpenAI {@code finish_reason} for this stop ("cancelled" is ours: OpenAI has no such value). */
    public String finishReason() {
        return switch (this) {
            case EOS, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case CANCELLED -> "cancelled";
        };
    }
}
