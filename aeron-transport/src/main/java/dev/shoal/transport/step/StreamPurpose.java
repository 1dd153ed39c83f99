package dev.shoal.transport.step;

/**
 * What a stream of the step plane carries. Each stream is named by its listening position, so the code is part of
 * the stream id ({@link StreamIds}) and must never be renumbered: nodes of one cluster must agree on it.
 */
public enum StreamPurpose {

    /** Step descriptors, supervisor → position p (p ≥ 1). */
    STEP_FEED(0),

    /** Partial sums and vocabulary parts between the tensor ranks of one stage ({@code AeronCollective}). */
    COLLECTIVE(1),

    /** The residual stream, stage s → stage s + 1, received by position p of stage s + 1. */
    STAGE_HANDOFF(2),

    /** The wanted logits rows, last stage rank 0 → the supervisor (only when there are several stages). */
    LOGITS_RETURN(3);

    /** Number of purposes: the stride between purposes' id ranges is {@link StreamIds#MAX_POSITIONS}. */
    static final int COUNT = 4;

    private final int code;

    StreamPurpose(final int code) {
        this.code = code;
    }

    /** The fixed code used in the stream id formula. */
    public int code() {
        return code;
    }
}
