package dev.shoal.tensor.model;

import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tensor-parallel group of threads inside one JVM: the seam tests use to run one model as several slices, and
 * the reference behaviour the Aeron collective must reproduce. Each rank publishes its buffer, waits at a
 * barrier, then sums all ranks' buffers in rank order into its own, so every rank ends bit-identical.
 */
public final class InProcessGroup {

    private final int size;
    private final CyclicBarrier barrier;
    private final float[][] published;
    private final long timeoutNanos;
    // shareRowsToFirst: the next chunk any rank may take, and which rank made each chunk of the current call
    private final AtomicInteger nextChunk = new AtomicInteger();
    private int[] chunkMaker = new int[0];

    public InProcessGroup(int size, Duration timeout) {
        this.size = size;
        this.barrier = new CyclicBarrier(size);
        this.published = new float[size][];
        this.timeoutNanos = timeout.toNanos();
    }

    /** The collective as seen by {@code rank}. */
    public Collective member(int rank) {
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " outside group of " + size);
        }
        return new Member(rank);
    }

    private void await() {
        try {
            barrier.await(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | BrokenBarrierException e) {
            throw new IllegalStateException("tensor-parallel peer did not arrive within "
                    + Duration.ofNanos(timeoutNanos), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in a collective", e);
        }
    }

    private final class Member implements Collective {
        private final int rank;
        private float[] scratch = new float[0];

        Member(int rank) {
            this.rank = rank;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void allReduceSum(float[] data, int offset, int length) {
            if (scratch.length < length) {
                scratch = new float[length];
            }
            System.arraycopy(data, offset, scratch, 0, length);
            published[rank] = scratch;
            await();
            for (int i = 0; i < length; i++) {
                float sum = published[0][i];
                for (int r = 1; r < size; r++) {
                    sum += published[r][i];
                }
                data[offset + i] = sum;
            }
            await();
        }

        @Override
        public void gatherToFirst(float[] data, int[] starts, int[] ends) {
            published[rank] = data;
            await();
            for (int r = 0; r < size && rank == 0; r++) {
                if (r != rank) {
                    System.arraycopy(published[r], starts[r], data, starts[r], ends[r] - starts[r]);
                }
            }
            await();
        }

        /** Every rank takes chunks from one shared counter; rank 0 then copies the chunks the others made. */
        @Override
        public void shareRowsToFirst(float[] data, int rows, int chunkRows, RowTask task) {
            final int chunks = Collective.chunkCount(data, rows, chunkRows);
            if (rank == 0) {
                nextChunk.set(0);
                if (chunkMaker.length < chunks) {
                    chunkMaker = new int[chunks];
                }
            }
            published[rank] = data;
            await();
            for (int k; (k = nextChunk.getAndIncrement()) < chunks; ) {
                chunkMaker[k] = rank;
                task.compute(k * chunkRows, Math.min(rows, (k + 1) * chunkRows));
            }
            await();
            for (int k = 0; k < chunks && rank == 0; k++) {
                if (chunkMaker[k] != 0) {
                    int from = k * chunkRows;
                    System.arraycopy(published[chunkMaker[k]], from, data, from,
                            Math.min(rows, from + chunkRows) - from);
                }
            }
            await();
        }
    }
}
