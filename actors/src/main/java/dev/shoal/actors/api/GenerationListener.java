package dev.shoal.actors.api;

/** Receives one generation's events; see {@link InferenceService#submit}. Calls never overlap. */
public interface GenerationListener {

    /** The prompt is tokenized and admitted; {@code promptTokens} is its length. */
    void onStart(int promptTokens);

    /** Generated text that is whole UTF-8 and cannot be part of a stop string. */
    void onText(String text);

    /**
     * A token was sampled (after {@link #onText} of the text it completed, if any), end-of-generation ids included.
     * The cluster keeps them to continue a generation elsewhere if the node running it dies.
     */
    default void onToken(int id) {
    }

    void onComplete(Completion completion);

    void onError(ServiceError error);
}
