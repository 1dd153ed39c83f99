package dev.shoal.tensor.model;

/**
 * How a pipeline stage hands the residual stream ({@code dim} floats per token) to the next stage and receives it
 * from the previous one. The first stage never receives and the last never sends.
 */
public interface StageLink {

    /** Sends {@code x[0, length)} to the next stage. */
    void sendNext(float[] x, int length);

    /** Blocks until the previous stage's activations arrive, writing them to {@code x[0, length)}. */
    void receivePrevious(float[] x, int length);

    /** For a model that is one stage. */
    StageLink NONE = new StageLink() {
        @Override
        public void sendNext(float[] x, int length) {
            throw new IllegalStateException("single stage: nothing to send to");
        }

        @Override
        public void receivePrevious(float[] x, int length) {
            throw new IllegalStateException("single stage: nothing to receive from");
        }
    };
}
