package dev.shoal.tensor.generate;

/**
 * Events of one sequence, called on the scheduler's engine thread in this order: {@code onStart} when the sequence
 * joins the running batch, {@code onText} per safe-to-show piece and {@code onToken} per sampled id, then exactly one of {@code onDone} (including
 * a cancelled run, with {@link dev.shoal.tensor.sample.StopReason#CANCELLED}) or {@code onError}. Listeners must
 * return quickly: the whole batch waits for them.
 */
public interface SequenceListener {

    void onStart(int promptTokens);

    void onText(String text);

    /**
     * A token was sampled (after the text it completed, if any, went to {@link #onText}). Every sampled id arrives
     * here in order, end-of-generation ids included; a cluster uses them to replay a sequence elsewhere.
     */
    default void onToken(int id) {
    }

    void onDone(GenerationResult result);

    void onError(RuntimeException error);
}
