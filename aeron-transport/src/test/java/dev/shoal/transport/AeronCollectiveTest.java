package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * All-reduce and gather over real Aeron: 2 and 3 ranks, each rank on its own driver over UDP loopback, or all
 * on one driver over IPC. Every rank must end with the rank-order sum bit for bit.
 */
class AeronCollectiveTest {

    /** 1 float, a small vector, 64 KiB (two 32 KiB MTUs), 256 KiB (several frames and half a term's 1/8 limit). */
    private static final int[] SIZES = {1, 1000, 16 * 1024, 64 * 1024};

    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(20));

    private Mesh mesh;

    @AfterEach
    void closeMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    /** Rank {@code rank}'s partial at {@code step}: values of mixed sign and magnitude, so addition order shows. */
    static float[] partial(final int rank, final int step, final int length) {
        final SplittableRandom random = new SplittableRandom(31L * step + rank);
        final float[] p = new float[length];
        for (int i = 0; i < length; i++) {
            p[i] = (float) ((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(-3, 4)));
        }
        return p;
    }

    /** The reference: ((p0 + p1) + p2) ..., element by element, as {@code InProcessGroup} does. */
    static float[] rankOrderSum(final int ranks, final int step, final int length) {
        final float[] sum = partial(0, step, length);
        for (int r = 1; r < ranks; r++) {
            final float[] p = partial(r, step, length);
            for (int i = 0; i < length; i++) {
                sum[i] += p[i];
            }
        }
        return sum;
    }

    static int[] bits(final float[] values, final int offset, final int length) {
        final int[] bits = new int[length];
        for (int i = 0; i < length; i++) {
            bits[i] = Float.floatToRawIntBits(values[offset + i]);
        }
        return bits;
    }

    @ParameterizedTest(name = "{0}, {1} ranks")
    @CsvSource({"udp, 2", "udp, 3", "ipc, 2", "ipc, 3"})
    void shouldGiveEveryRankTheRankOrderSumBitForBit(final String transport, final int size) throws Exception {
        mesh = Mesh.of(transport, size, SETTINGS);
        final int steps = 24; // each size six times, interleaved
        final List<Boolean> ok = mesh.onAllRanks(c -> {
            c.awaitConnected(Duration.ofSeconds(20));
            for (int step = 0; step < steps; step++) {
                final int length = SIZES[step % SIZES.length];
                final int offset = step % 3; // the engine reduces a prefix of its buffer; try offsets too
                final float[] data = new float[offset + length + 2];
                data[offset + length] = 42f;
                System.arraycopy(partial(c.rank(), step, length), 0, data, offset, length);
                c.allReduceSum(data, offset, length);
                final int rank = c.rank();
                final int s = step;
                assertArrayEquals(bits(rankOrderSum(size, step, length), 0, length), bits(data, offset, length),
                        () -> "rank " + rank + " step " + s + " length " + length);
                assertEquals(42f, data[offset + length], "all-reduce wrote past its range");
            }
            assertEquals(steps, c.sequence());
            return true;
        });
        assertEquals(size, ok.size());
    }

    @Test
    void theReferenceShouldDependOnAdditionOrderSoTheBitExactCheckMeansSomething() {
        final int length = 64 * 1024;
        final float[] inOrder = rankOrderSum(3, 5, length);
        final float[] p0 = partial(0, 5, length);
        final float[] p1 = partial(1, 5, length);
        final float[] p2 = partial(2, 5, length);
        int differing = 0;
        for (int i = 0; i < length; i++) {
            if (Float.floatToRawIntBits((p2[i] + p1[i]) + p0[i]) != Float.floatToRawIntBits(inOrder[i])) {
                differing++;
            }
        }
        assertTrue(differing > 100, "reverse order differs in " + differing + " of " + length + " elements");
    }

    @ParameterizedTest(name = "{0}, {1} ranks")
    @CsvSource({"udp, 2", "udp, 3", "ipc, 3"})
    void shouldGatherEveryRanksPartOnRankZeroInterleavedWithAllReduces(final String transport, final int size)
            throws Exception {
        mesh = Mesh.of(transport, size, SETTINGS);
        // uneven parts, one empty (a vocabulary split need not be even), the last one larger than an MTU
        final int total = 70_000;
        final int[] starts = new int[size];
        final int[] ends = new int[size];
        for (int r = 0; r < size; r++) {
            starts[r] = r == 0 ? 0 : ends[r - 1];
            ends[r] = r == size - 1 ? total : r == 1 ? starts[r] : starts[r] + 1000 + 3 * r;
        }
        mesh.onAllRanks(c -> {
            for (int step = 0; step < 10; step++) {
                final float[] logits = new float[total];
                final float[] mine = partial(c.rank(), step, total);
                System.arraycopy(mine, starts[c.rank()], logits, starts[c.rank()], ends[c.rank()] - starts[c.rank()]);
                c.gatherToFirst(logits, starts, ends);
                for (int r = 0; r < size; r++) {
                    // rank 0 holds every part; any other rank its own part and zeros elsewhere, as it left them
                    final float[] theirs = c.rank() == 0 || r == c.rank() ? partial(r, step, total)
                            : new float[total];
                    for (int i = starts[r]; i < ends[r]; i++) {
                        assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(logits[i]),
                                "rank " + c.rank() + " element " + i + " of rank " + r);
                    }
                }
                // the forward pass alternates: all-reduces between gathers, lengths differ per call
                final float[] x = partial(c.rank(), 1000 + step, 300);
                c.allReduceSum(x, 0, 300);
                assertArrayEquals(bits(rankOrderSum(size, 1000 + step, 300), 0, 300), bits(x, 0, 300));
                c.allReduceSum(x, 0, 0); // empty calls still keep the ranks in step
            }
            return null;
        });
    }

    /** What a shared-rows task makes of row {@code row} at {@code step}: the same bits whichever rank makes it. */
    private static float row(final int step, final int row) {
        return Float.intBitsToFloat(0x3f000000 | (step * 7919 + row) & 0x7fffff);
    }

    /**
     * Rows shared at run time: rank 0 ends with every row, each rank made a contiguous run of chunks (rank 0 from
     * the front, rank 1 from the back), every chunk was made by someone, and a rank that runs slower (20 times
     * longer a chunk) leaves most of the chunks to the faster one — in either direction. Calls interleave with
     * all-reduces and gathers, so the sequence numbers stay in step.
     */
    @ParameterizedTest(name = "{0}, slow rank {1}")
    @CsvSource({"ipc, 0", "ipc, 1", "udp, 1", "ipc, -1"})
    void shouldShareRowsAtRunTimeAndLeaveMostToTheFasterRank(final String transport, final int slowRank)
            throws Exception {
        mesh = Mesh.of(transport, 2, SETTINGS);
        final int rows = 70_001; // a last chunk shorter than the rest
        final int chunkRows = 1000;
        final int chunks = 71;
        final int steps = 6;
        final List<int[][]> made = mesh.onAllRanks(c -> {
            c.awaitConnected(Duration.ofSeconds(20));
            final int[][] mine = new int[steps][chunks]; // [step][chunk]: 1 where this rank made it
            for (int step = 0; step < steps; step++) {
                final int s = step;
                final float[] data = new float[rows + 3];
                data[rows] = 42f;
                c.shareRowsToFirst(data, rows, chunkRows, (from, to) -> {
                    assertEquals(0, from % chunkRows, "chunks start on chunk edges");
                    assertEquals(Math.min(rows, from + chunkRows), to);
                    mine[s][from / chunkRows] = 1;
                    for (int i = from; i < to; i++) {
                        data[i] = row(s, i);
                    }
                    // a chunk of a 1B model's output takes 0.1-0.2 ms; the slow rank takes 3 ms
                    final long until = System.nanoTime() + (c.rank() == slowRank ? 3_000_000 : 150_000);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
                assertEquals(42f, data[rows], "nothing past the rows is written");
                for (int i = 0; i < rows; i++) {
                    if (c.rank() == 0 || mine[s][i / chunkRows] == 1) {
                        assertEquals(Float.floatToRawIntBits(row(s, i)), Float.floatToRawIntBits(data[i]),
                                "rank " + c.rank() + " step " + s + " row " + i);
                    }
                }
                final float[] x = partial(c.rank(), 2000 + step, 300);
                c.allReduceSum(x, 0, 300);
                assertArrayEquals(bits(rankOrderSum(2, 2000 + step, 300), 0, 300), bits(x, 0, 300));
            }
            return mine;
        });
        int slowTotal = 0;
        for (int step = 0; step < steps; step++) {
            final int[] front = made.get(0)[step];
            final int[] back = made.get(1)[step];
            int a = 0;
            while (a < chunks && front[a] == 1) {
                a++;
            }
            int b = chunks;
            while (b > 0 && back[b - 1] == 1) {
                b--;
            }
            for (int k = 0; k < chunks; k++) {
                assertEquals(k < a ? 1 : 0, front[k], "rank 0 makes a run from the front, step " + step);
                assertEquals(k >= b ? 1 : 0, back[k], "rank 1 makes a run from the back, step " + step);
            }
            assertTrue(b <= a, "every chunk made at step " + step + ": rank 0 [0, " + a + "), rank 1 [" + b + ", "
                    + chunks + ")");
            if (transport.equals("ipc")) {
                // a rank reads every claim that has arrived before it takes a chunk, and over IPC a claim has
                // arrived once written: only a chunk both took in the same instant is made twice
                assertTrue(a - b <= 1, "at most the chunk where they met made twice, step " + step + ": rank 0 [0, "
                        + a + "), rank 1 [" + b + ", " + chunks + ")");
            }
            slowTotal += slowRank == 0 ? a : slowRank == 1 ? chunks - b : 0;
        }
        if (slowRank >= 0) {
            // the slow rank spends 3 ms a chunk, the fast one microseconds: it should take a small share
            assertTrue(slowTotal < steps * chunks / 4, "slow rank " + slowRank + " made " + slowTotal + " of "
                    + steps * chunks + " chunks");
        }
    }

    @Test
    void aGroupOfThreeShouldShareRowsByAnEvenSplit() throws Exception {
        mesh = Mesh.of("ipc", 3, SETTINGS);
        final int rows = 10_000;
        mesh.onAllRanks(c -> {
            final float[] data = new float[rows];
            final int[] count = new int[1];
            c.shareRowsToFirst(data, rows, 512, (from, to) -> {
                count[0] += to - from;
                for (int i = from; i < to; i++) {
                    data[i] = row(1, i);
                }
            });
            assertTrue(count[0] > 2_500 && count[0] < 4_500, "rank " + c.rank() + " made " + count[0] + " rows");
            for (int i = 0; i < rows && c.rank() == 0; i++) {
                assertEquals(Float.floatToRawIntBits(row(1, i)), Float.floatToRawIntBits(data[i]), "row " + i);
            }
            return null;
        });
    }
}
