package dev.shoal.node;

/** The node could not start (e.g. its HTTP port is taken); the message is one line. */
public final class NodeStartException extends RuntimeException {

    public NodeStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
