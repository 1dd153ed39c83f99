package dev.shoal.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Test memory for the kernels in the form they meet in production (mapped files, arenas): native, never heap.
 * Heap segments make C2's profiles of the Vector API's segment loads bimorphic for every later compile in the same
 * JVM; the four-row Q8_0 kernel then crossed C2's inlining budget and boxed its vectors, and
 * DecodeAllocationTest failed when it ran after the kernel tests.
 */
public final class NativeSegments {

    private NativeSegments() {
    }

    /** {@code n} zeroed bytes, freed by the garbage collector. */
    public static MemorySegment zeroed(long n) {
        return Arena.ofAuto().allocate(n, 8);
    }
}
