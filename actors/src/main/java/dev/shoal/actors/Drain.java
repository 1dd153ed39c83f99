package dev.shoal.actors;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/** The shutdown step that lets running generations finish: polls a count until it is zero or a deadline passes. */
public final class Drain {

    private static final Duration EVERY = Duration.ofMillis(50);

    private Drain() {
    }

    /** Completes when {@code inFlight} reads 0, or once {@code deadline} has passed, whichever comes first. */
    public static CompletionStage<Done> until(ActorSystem<?> system, IntSupplier inFlight, Duration deadline) {
        CompletableFuture<Done> drained = new CompletableFuture<>();
        long end = System.nanoTime() + deadline.toNanos();
        var poll = system.scheduler().scheduleAtFixedRate(Duration.ZERO, EVERY, () -> {
            if (inFlight.getAsInt() == 0 || System.nanoTime() >= end) {
                drained.complete(Done.getInstance());
            }
        }, system.executionContext());
        drained.whenComplete((d, e) -> poll.cancel());
        return drained;
    }
}
