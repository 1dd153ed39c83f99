package dev.shoal.http.support;

import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.PlacementPreview;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-written {@link ClusterView} for the HTTP layer's own tests: answers with the records it is given, or
 * fails, throws, or never answers, as a test asks. Every preview request is recorded. The real cluster behind
 * this interface is tested where it is built.
 */
public final class ScriptedClusterView implements ClusterView {

    /** How the next calls answer. */
    public enum Behaviour {
        /** With the given records, at once. */
        ANSWER,
        /** With a future that fails. */
        FAIL,
        /** By throwing instead of returning a future. */
        THROW,
        /** With a future that never completes (the same one every time: see {@link #pending()}). */
        NEVER
    }

    /** One preview request as the view received it. */
    public record Call(String model, String mode) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private volatile ClusterState state;
    private volatile PlacementPreview preview;
    private volatile Behaviour behaviour;
    private volatile CompletableFuture<Object> pending;

    public ScriptedClusterView() {
        reset();
    }

    public void answer(ClusterState state) {
        this.state = state;
    }

    public void answer(PlacementPreview preview) {
        this.preview = preview;
    }

    public void behave(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    /** The future handed out in {@link Behaviour#NEVER}; nobody but the view may complete it. */
    public CompletableFuture<Object> pending() {
        return pending;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public void reset() {
        state = new ClusterState("node-a", null, List.of(), List.of());
        preview = new PlacementPreview.Unavailable("unset", "no preview scripted");
        behaviour = Behaviour.ANSWER;
        pending = new CompletableFuture<>();
        calls.clear();
    }

    @Override
    public CompletionStage<ClusterState> state() {
        return respond(state);
    }

    @Override
    public CompletionStage<PlacementPreview> preview(String model, String mode) {
        calls.add(new Call(model, mode));
        return respond(preview);
    }

    @SuppressWarnings("unchecked")
    private <T> CompletionStage<T> respond(T value) {
        return switch (behaviour) {
            case ANSWER -> CompletableFuture.completedFuture(value);
            case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("membership actor is gone"));
            case THROW -> throw new IllegalStateException("view broken");
            case NEVER -> (CompletionStage<T>) pending;
        };
    }
}
