package dev.shoal.actors;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.SequenceHandle;
import dev.shoal.tensor.generate.SequenceListener;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries one sequence's engine events straight to the client's listener on the engine thread (no actor in
 * between), adds the request's timings to the completion, and reports the end once to the instance, which
 * tracks idle time. A listener that throws gets its sequence cancelled instead of stopping the engine thread.
 */
final class ListenerBridge implements SequenceListener {

    private static final Logger log = LoggerFactory.getLogger(ListenerBridge.class);

    private final GenerationListener listener;
    private final long submittedNanos;
    private final long loadNanos;
    /** Told the sequence's duration in nanoseconds when it ends. */
    private final LongConsumer onEnd;
    private volatile SequenceHandle handle;
    private boolean ended;

    ListenerBridge(GenerationListener listener, long submittedNanos, long loadNanos, LongConsumer onEnd) {
        this.listener = listener;
        this.submittedNanos = submittedNanos;
        this.loadNanos = loadNanos;
        this.onEnd = onEnd;
    }

    void handle(SequenceHandle h) {
        handle = h;
    }

    @Override
    public void onStart(int promptTokens) {
        guarded(() -> listener.onStart(promptTokens));
    }

    @Override
    public void onText(String text) {
        guarded(() -> listener.onText(text));
    }

    @Override
    public void onToken(int id) {
        guarded(() -> listener.onToken(id));
    }

    @Override
    public void onDone(GenerationResult r) {
        long total = System.nanoTime() - submittedNanos;
        guarded(() -> listener.onComplete(new Completion(r.promptTokens(), r.generatedTokens(), r.stopReason(),
                loadNanos, r.promptNanos(), r.generationNanos(), total)));
        end(total);
    }

    @Override
    public void onError(RuntimeException error) {
        String why = error.getMessage() == null ? error.toString() : error.getMessage();
        guarded(() -> listener.onError(new ServiceError.Internal("generation failed: " + why)));
        end(System.nanoTime() - submittedNanos);
    }

    private void end(long nanos) {
        if (!ended) {
            ended = true;
            onEnd.accept(nanos);
        }
    }

    private void guarded(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("a generation listener failed ({}); cancelling its sequence", e.toString());
            SequenceHandle h = handle;
            if (h != null) {
                h.cancel();
            }
        }
    }
}
