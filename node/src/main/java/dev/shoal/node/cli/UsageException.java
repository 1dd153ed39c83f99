package dev.shoal.node.cli;

/** A command line that cannot be run; the message is one line saying what is wrong and the usage. */
public final class UsageException extends RuntimeException {

    public UsageException(String message) {
        super(message);
    }
}
