package dev.shoal.actors.cluster;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A generation on a node's own copy of the model (a replica), reported as the {@link StreamEvent}s a distributed
 * instance sends: text goes with the token that completed it. Errors here are the node's answer, not a lost peer,
 * so they are not replayable. Calls come from one engine thread at a time, as {@link GenerationListener} promises.
 */
final class EventForwarder implements GenerationListener {

    private final ActorRef<StreamEvent> to;
    private final Runnable onEnd;
    private final StringBuilder pending = new StringBuilder();

    /** @param onEnd run after the terminal event */
    EventForwarder(ActorRef<StreamEvent> to, Runnable onEnd) {
        this.to = to;
        this.onEnd = onEnd;
    }

    @Override
    public void onStart(int promptTokens) {
        to.tell(new StreamEvent.Started(promptTokens));
    }

    @Override
    public void onText(String text) {
        pending.append(text);
    }

    @Override
    public void onToken(int id) {
        to.tell(new StreamEvent.Piece(take(), id));
    }

    @Override
    public void onComplete(Completion completion) {
        to.tell(new StreamEvent.Finished(take(), completion));
        onEnd.run();
    }

    @Override
    public void onError(ServiceError error) {
        to.tell(new StreamEvent.Failed(error, false));
        onEnd.run();
    }

    private String take() {
        String s = pending.toString();
        pending.setLength(0);
        return s;
    }
}
