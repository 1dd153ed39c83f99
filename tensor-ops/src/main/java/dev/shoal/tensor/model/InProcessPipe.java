package dev.shoal.tensor.model;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline hand-off between stages running as threads of one JVM. Stage {@code i} sends into pipe {@code i} and
 * stage {@code i + 1} receives from it; a receive that waits longer than the timeout fails instead of hanging.
 */
public final class InProcessPipe {

    private final BlockingQueue<float[]> queue = new ArrayBlockingQueue<>(4);
    private final long timeoutNanos;

    public InProcessPipe(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** The link of a stage that receives from {@code in} (null for the first) and sends to {@code out} (null for the last). */
    public static StageLink link(InProcessPipe in, InProcessPipe out) {
        return new StageLink() {
            @Override
            public void sendNext(float[] x, int length) {
                out.put(java.util.Arrays.copyOf(x, length));
            }

            @Override
            public void receivePrevious(float[] x, int length) {
                float[] got = in.take();
                System.arraycopy(got, 0, x, 0, length);
            }
        };
    }

    private void put(float[] x) {
        try {
            if (!queue.offer(x, timeoutNanos, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("next pipeline stage did not take activations in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private float[] take() {
        try {
            float[] x = queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
            if (x == null) {
                throw new IllegalStateException("previous pipeline stage sent nothing within "
                        + Duration.ofNanos(timeoutNanos));
            }
            return x;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
