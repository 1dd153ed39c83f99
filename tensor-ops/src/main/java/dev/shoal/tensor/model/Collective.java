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

    /**
     * Rows {@code [0, rows)} of {@code data} made by the group together when every rank can make any of them (a
     * tied output projection every rank holds whole): {@code task} fills the rows of the chunks this rank takes —
     * chunks of {@code chunkRows} rows, the last one shorter — and afterwards rank 0 holds every row (the other
     * ranks' arrays hold at least the rows they made). Which rank makes which chunk may be decided while the call
     * runs, so a rank that runs slower for a while leaves more of the rows to the others; the task must therefore
     * give the same bits for a row whichever rank makes it. A chunk may be made by two ranks at once (both give the
     * same bits). This default splits the chunks evenly in rank order and gathers them, as
     * {@link #gatherToFirst} does.
     */
    default void shareRowsToFirst(float[] data, int rows, int chunkRows, RowTask task) {
        chunkCount(data, rows, chunkRows);
        final int[] starts = new int[size()];
        final int[] ends = new int[size()];
        evenRows(rows, chunkRows, starts, ends);
        if (ends[rank()] > starts[rank()]) {
            task.compute(starts[rank()], ends[rank()]);
        }
        if (size() > 1) {
            gatherToFirst(data, starts, ends);
        }
    }

    /**
     * The chunks of a {@link #shareRowsToFirst} call, after checking its arguments.
     *
     * @throws IllegalArgumentException when the rows do not fit the array or a chunk is empty
     */
    static int chunkCount(float[] data, int rows, int chunkRows) {
        if (chunkRows < 1 || rows < 0 || rows > data.length) {
            throw new IllegalArgumentException("rows " + rows + " in chunks of " + chunkRows + " for an array of "
                    + data.length);
        }
        return (rows + chunkRows - 1) / chunkRows;
    }

    /** Rows {@code [0, rows)} in whole chunks split evenly over {@code starts.length} ranks in rank order. */
    static void evenRows(int rows, int chunkRows, int[] starts, int[] ends) {
        final int n = starts.length;
        final int chunks = (rows + chunkRows - 1) / chunkRows;
        for (int r = 0; r < n; r++) {
            starts[r] = Math.min(rows, (int) ((long) chunks * r / n) * chunkRows);
            ends[r] = Math.min(rows, (int) ((long) chunks * (r + 1) / n) * chunkRows);
        }
    }

    /** Fills rows {@code [from, to)} of the array given to {@link #shareRowsToFirst}. */
    @FunctionalInterface
    interface RowTask {
        void compute(int from, int to);
    }

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

        @Override
        public void shareRowsToFirst(float[] data, int rows, int chunkRows, RowTask task) {
            if (rows > 0) {
                task.compute(0, rows);
            }
        }
    }
}
