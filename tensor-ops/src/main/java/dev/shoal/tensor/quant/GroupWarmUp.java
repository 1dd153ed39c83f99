package dev.shoal.tensor.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/**
 * Gets a {@link RowGroups} decode kernel compiled by C2 before anything else has run it, once per type and JVM.
 *
 * <p>Why: C2 compiles a group kernel with the profiles of the Vector API methods it inlines, which every other
 * kernel of the process shares. Compiled in the middle of serving (after prefill tiles and plain kernels have run),
 * the kernel came out, in about one run in three, with vectors it could not keep in registers: boxed, one allocation
 * per block, decode at half speed (1B Q4_0, one core of a Zen 4 with {@code -XX:UseAVX=2}, 8.8–11.8 against
 * 17–18 tok/s; the runs with it had 250–600 young collections against 65). Running it first, on a matrix of two groups
 * of four blocks, until a call takes the time of compiled code, gave no slow run since (docs/BENCHMARKS.md, sessions
 * 21–22). As the first vector code of a process that took about 1.6 s on one core of that machine (measured with
 * session 21's one-block matrix), mostly interpreting the Vector API before C1 and C2 take over; it gives up after
 * 5 s. The repacking thread calls it before its first matrix of the type ({@code Matrix.interleave}), and a
 * {@code SliceModel}'s first forward pass before anything else (waiting for the repacking thread's warm-up if it is
 * under way): the pass's own vector code (the activation quantizers, attention), run first, left the kernels boxing
 * in 3 of 4 test JVMs (session 26).
 *
 * <p>Both kernels, Q4_0's and Q4_K's, are warmed up: both read one-int activation pairs and run two groups at a
 * time. (Q4_K's earlier kernel, over pairs stored already broadcast, compiled without boxes for many sessions
 * without it.)
 */
public final class GroupWarmUp {

    private static final long GIVE_UP_NANOS = 5_000_000_000L;
    /**
     * Blocks per row and groups of the warm-up matrix. More than one of each, so that every loop goes round, and an
     * odd number of groups, so that Q4_0's two kernels both run (two pairs through {@code groupPair}, the last group
     * through {@code group}): C2 may compile a branch its profile never saw taken as a trap, which the first real
     * matrix would hit, and a kernel would be compiled mid-serving with the profiles of everything that ran since —
     * what this class is here to avoid. (A precaution: with a one-block warm-up no such deoptimization was seen.)
     */
    private static final int WARM_BLOCKS = 4;
    private static final int WARM_GROUPS = 5;
    /**
     * A Q4_0 warm-up call (20 blocks of 32 columns and eight rows) in C2 code takes about a microsecond; interpreted
     * or in C1, hundreds. The bound per such block of 32 columns (Q4_K's call has 160 of them).
     */
    private static final long COMPILED_NANOS_PER_BLOCK = 200;
    private static final int COMPILED_CALLS = 200;
    private static final Set<GgmlType> DONE = EnumSet.noneOf(GgmlType.class);

    private GroupWarmUp() {
    }

    /** Runs {@code type}'s group kernel until it is compiled, unless that was done before or it has none. */
    public static synchronized void ensure(GgmlType type) {
        final RowGroups g = RowGroups.forType(type);
        if (g == null || !DONE.add(type)) {
            return;
        }
        final int cols = WARM_BLOCKS * type.blockSize();
        final int rows = WARM_GROUPS * RowGroups.ROWS;
        final QuantKernel k = QuantKernels.forType(type, "warm-up");
        final long rowBytes = type.bytesFor(cols);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment plain = arena.allocate(rowBytes * rows, 64);
            final float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    row[c] = (float) Math.sin(0.37 * (r * cols + c));
                }
                k.quantize(row, 0, cols, plain, r * rowBytes);
            }
            final MemorySegment packed = arena.allocate(rowBytes * rows, 64);
            g.pack(plain, 0, rowBytes, rows, cols, packed, 0);
            final QuantizedActivations a = new QuantizedActivations(k.activationType(), 1, cols);
            a.quantize(row, cols, 1, cols);
            final float[] out = new float[rows];
            final long compiledNanos = COMPILED_NANOS_PER_BLOCK * WARM_GROUPS * (cols / 32);
            final long start = System.nanoTime();
            int compiledCalls = 0;
            while (compiledCalls < COMPILED_CALLS && System.nanoTime() - start < GIVE_UP_NANOS) {
                final long t0 = System.nanoTime();
                g.dotGroups(packed, 0, a, 0, cols, 0, WARM_GROUPS, out, 0);
                compiledCalls = System.nanoTime() - t0 < compiledNanos ? compiledCalls + 1 : 0;
            }
        }
    }
}
