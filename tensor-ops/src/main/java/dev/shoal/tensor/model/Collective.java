package dev.shoal.tensor.model;

/**
 * The communication a tensor-parallel group needs inside one forward step. Every rank of the group calls each
 * operation in the same order with the same lengths. Implementations: {@link Collective#single()} (one rank,
 * nothing to do), {@link InProcessGroup} (threads of one JVM, for tests), and the Aeron transport (nodes).
 *
 * <p>A failed peer must surface as an exception within the implementation's timeout, never as a hang.
 */
public interface Collective {

    int rank();

    int size();

    /**
     * Replaces {@code data[offset, offset+length)} on every rank by the sum of all ranks' values, added in rank
     * order ((r0 + r1) + r2 ...), so that every rank holds bit-identical results.
     */
    void allReduceSum(float[] data, int offset, int length);

    /**
     * Each rank has filled {@code data[starts[rank], ends[rank])}; afterwards rank 0 holds every rank's part (the
     * other ranks' arrays are left as they were). Only rank 0 needs the gathered logits — it samples, or hands them
     * to the supervisor — so the other ranks neither receive nor wait for them.
     */
    void gatherToFirst(float[] data, int[] starts, int[] ends);

    /** The trivial group of one. */
    static Collective single() {
        return SingleRank.INSTANCE;
    }

    /** One rank alone: all-reduce and gather are identities. */
    enum SingleRank implements Collective {
        INSTANCE;

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public void allReduceSum(float[] data, int offset, int length) {
        }

        @Override
        public void gatherToFirst(float[] data, int[] starts, int[] ends) {
        }
    }
}
