package dev.shoal.membership;

/** Membership could not start (a port taken, an address not of this machine); the message is one line. */
public final class MembershipException extends RuntimeException {

    public MembershipException(String message, Throwable cause) {
        super(message, cause);
    }

    public MembershipException(String message) {
        super(message);
    }
}
