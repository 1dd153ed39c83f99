package dev.shoal.actors;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;

/**
 * Enforces the listener contract whatever the timing: no overlapping calls, exactly one terminal event, nothing
 * after it. Events come from the engine thread, but a refusal or an admission timeout is reported from the thread
 * completing the ask, which could otherwise race with a late admission.
 */
public final class OnceListener implements GenerationListener {

    private final GenerationListener delegate;
    /** Run once, after the terminal event (the service's in-flight count). */
    private final Runnable onFinish;
    private boolean finished;

    public OnceListener(GenerationListener delegate, Runnable onFinish) {
        this.delegate = delegate;
        this.onFinish = onFinish;
    }

    @Override
    public synchronized void onStart(int promptTokens) {
        if (!finished) {
            delegate.onStart(promptTokens);
        }
    }

    @Override
    public synchronized void onText(String text) {
        if (!finished) {
            delegate.onText(text);
        }
    }

    @Override
    public synchronized void onToken(int id) {
        if (!finished) {
            delegate.onToken(id);
        }
    }

    @Override
    public synchronized void onComplete(Completion completion) {
        if (!finished) {
            finished = true;
            try {
                delegate.onComplete(completion);
            } finally {
                onFinish.run();
            }
        }
    }

    @Override
    public synchronized void onError(ServiceError error) {
        if (!finished) {
            finished = true;
            try {
                delegate.onError(error);
            } finally {
                onFinish.run();
            }
        }
    }
}
