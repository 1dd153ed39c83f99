package dev.shoal.transport.step;

/**
 * The supervisor stopped the instance (a stop descriptor arrived): a {@link ShardRuntime} reports it through its
 * callback when its step loop ends this way, so the node owning the runtime can release it. Not a fault of this
 * position; {@link #failed()} tells whether the supervisor stopped because a step failed elsewhere.
 */
public final class InstanceStoppedException extends RuntimeException {

    private final int reason;

    public InstanceStoppedException(final int reason, final String message) {
        super(message);
        this.reason = reason;
    }

    /** {@link StepDescriptor#STOP_CLOSED} or {@link StepDescriptor#STOP_FAILED}. */
    public int reason() {
        return reason;
    }

    /** The supervisor stopped because the distributed step failed (a peer gone), not because it was closed. */
    public boolean failed() {
        return reason == StepDescriptor.STOP_FAILED;
    }
}
