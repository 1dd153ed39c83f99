package dev.shoal.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Test memory for the kernels in the form they meet in production (mapped files, arenas): native, never heap.
 * Heap segments would make C2's type profiles of the Vector API's segment loads bimorphic for every later compile
 * in the same JVM, so the kernels would be compiled bigger than a node compiles them (closer to C2's inlining
 * budget, which the four-row Q8_0 kernel sits at).
 */
public final class NativeSegments {

    private NativeSegments() {
    }

    /** {@code n} zeroed bytes, freed by the garbage collector. */
    public static MemorySegment zeroed(long n) {
        return Arena.ofAuto().allocate(n, 8);
    }
}
