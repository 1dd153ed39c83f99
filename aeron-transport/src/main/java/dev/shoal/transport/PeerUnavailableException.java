package dev.shoal.transport;

/**
 * A peer of the data plane is gone: its publication never connected or stopped connecting, or it stayed silent
 * (sent nothing, or took nothing under back pressure) longer than the configured peer timeout. Thrown by the
 * blocking calls of {@link AeronCollective} and {@link AeronStageLink} instead of hanging; the object that threw is
 * unusable afterwards (the ranks no longer agree on the step), so the owner must rebuild the group.
 */
public final class PeerUnavailableException extends RuntimeException {

    private final int rank;
    private final Endpoint endpoint;

    /**
     * @param rank     the peer's rank in its tensor group, or -1 for a pipeline neighbour
     * @param endpoint where that peer listens (or, for the previous pipeline stage, where we listen for it)
     */
    public PeerUnavailableException(final int rank, final Endpoint endpoint, final String message) {
        super(message);
        this.rank = rank;
        this.endpoint = endpoint;
    }

    /** The unavailable peer's rank, or -1 when the peer is a pipeline neighbour rather than a group member. */
    public int rank() {
        return rank;
    }

    /** The endpoint involved. */
    public Endpoint endpoint() {
        return endpoint;
    }
}
