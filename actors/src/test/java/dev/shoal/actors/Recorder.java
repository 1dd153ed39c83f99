package dev.shoal.actors;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Records one generation's events and checks the listener contract as they come (onStart before text, one
 * terminal event, nothing after it). With a gate, the first onText blocks the engine thread until it opens, which
 * holds a sequence in the running batch for as long as a test needs.
 */
final class Recorder implements GenerationListener {

    final CompletableFuture<Object> end = new CompletableFuture<>();
    final CountDownLatch firstText = new CountDownLatch(1);
    private final CountDownLatch gate;
    private final StringBuilder text = new StringBuilder();
    private final List<String> violations = new ArrayList<>();
    private int promptTokens = -1;

    Recorder() {
        this(null);
    }

    private Recorder(CountDownLatch gate) {
        this.gate = gate;
    }

    static Recorder gated(CountDownLatch gate) {
        return new Recorder(gate);
    }

    @Override
    public synchronized void onStart(int promptTokens) {
        if (this.promptTokens >= 0 || end.isDone()) {
            violations.add("onStart twice or after the end");
        }
        this.promptTokens = promptTokens;
    }

    @Override
    public void onText(String piece) {
        synchronized (this) {
            if (promptTokens < 0 || end.isDone()) {
                violations.add("onText before onStart or after the end");
            }
            text.append(piece);
        }
        firstText.countDown();
        if (gate != null) {
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void onComplete(Completion completion) {
        if (end.isDone()) {
            violations.add("a second terminal event");
        }
        end.complete(completion);
    }

    @Override
    public synchronized void onError(ServiceError error) {
        if (end.isDone()) {
            violations.add("a second terminal event");
        }
        end.complete(error);
    }

    Completion completion() throws Exception {
        Object o = end.get(30, TimeUnit.SECONDS);
        if (o instanceof Completion c) {
            return c;
        }
        throw new AssertionError("expected a completion, got " + o);
    }

    ServiceError error() throws Exception {
        Object o = end.get(30, TimeUnit.SECONDS);
        if (o instanceof ServiceError e) {
            return e;
        }
        throw new AssertionError("expected an error, got " + o);
    }

    synchronized String text() {
        return text.toString();
    }

    synchronized int promptTokens() {
        return promptTokens;
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }
}
