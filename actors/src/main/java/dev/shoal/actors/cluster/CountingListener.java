package dev.shoal.actors.cluster;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import java.util.concurrent.atomic.LongAdder;

/** Passes every event on and counts the tokens (the node's tokens/s in JMX). */
record CountingListener(GenerationListener delegate, LongAdder tokens) implements GenerationListener {

    @Override
    public void onStart(int promptTokens) {
        delegate.onStart(promptTokens);
    }

    @Override
    public void onText(String text) {
        delegate.onText(text);
    }

    @Override
    public void onToken(int id) {
        tokens.increment();
        delegate.onToken(id);
    }

    @Override
    public void onComplete(Completion completion) {
        delegate.onComplete(completion);
    }

    @Override
    public void onError(ServiceError error) {
        delegate.onError(error);
    }
}
