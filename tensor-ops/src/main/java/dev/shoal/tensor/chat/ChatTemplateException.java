package dev.shoal.tensor.chat;

/**
 * A chat template that cannot be used: it does not parse, it failed while rendering, or it rejected the
 * conversation itself through {@code raise_exception(...)} — then the message is the template's own words
 * (e.g. "Conversation roles must alternate user/assistant/user/assistant/...") and {@link #raisedByTemplate()}
 * is true, so an API can answer 400 instead of 500.
 */
public final class ChatTemplateException extends RuntimeException {

    private final boolean raisedByTemplate;

    public ChatTemplateException(String message, boolean raisedByTemplate, Throwable cause) {
        super(message, cause);
        this.raisedByTemplate = raisedByTemplate;
    }

    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
