package dev.shoal.actors.cluster;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.ServiceError;

/**
 * One generation's events from the node that runs it (a distributed instance's supervisor, or a replica's node)
 * to the node that holds the client's connection ({@link RemoteStream}). Token ids ride along with the text so that
 * the client's node can replay the generation elsewhere if the running node dies.
 */
public sealed interface StreamEvent extends ClusterMessage {

    /** Admitted, with the prompt's length in tokens. */
    record Started(int promptTokens) implements StreamEvent {
    }

    /** One sampled token and the text it completed (often empty while text is held back). */
    record Piece(String text, int id) implements StreamEvent {
    }

    /** The end: text flushed at the end, and the totals. */
    record Finished(String tail, Completion completion) implements StreamEvent {
    }

    /**
     * The generation could not run or stopped. {@code replayable} when the cause is a lost node (the same request
     * can continue on a new placement); otherwise the error is the client's answer.
     */
    record Failed(ServiceError error, boolean replayable) implements StreamEvent {
    }
}
