package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shoal.tensor.NativeSegments;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Q4_0Interleaved} against the plain Q4_0 rows it was packed from: the group kernel gives each row exactly
 * what {@link Q4_0Interleaved#dotRow} gives (so how a row range is split cannot change a result), that is the
 * scalar reference dot up to float rounding, the tail rows go the same way, decoding a packed row gives the plain
 * row's floats bit for bit, and scales that are negative, subnormal or zero survive the kernel's f16 conversion.
 */
class Q4_0InterleavedTest {

    private static final int ROWS = 21;
    private static final int COLS = 160;
    private static final QuantKernel PLAIN = QuantKernels.forType(GgmlType.Q4_0, "test");
    private static final long ROW_BYTES = GgmlType.Q4_0.bytesFor(COLS);

    @Test
    void groupKernelShouldGiveEveryRowItsOwnDotBitForBit() {
        assumeTrue(Q4_0Interleaved.supported(), "the group kernel runs on 256-bit vectors only");
        SplittableRandom rnd = new SplittableRandom(7);
        MemorySegment plain = plainRows(rnd);
        MemorySegment packed = NativeSegments.zeroed(ROW_BYTES * ROWS);
        Q4_0Interleaved.pack(plain, 0, ROW_BYTES, ROWS, COLS, packed, 0);
        QuantizedActivations a = activations(rnd, 3);
        int groups = ROWS / Q4_0Interleaved.ROWS;
        for (int b = 0; b < 3; b++) {
            float[] out = new float[groups * Q4_0Interleaved.ROWS];
            Q4_0Interleaved.dotGroups(packed, 0, a, b, COLS, 0, groups, out, 0);
            for (int r = 0; r < ROWS; r++) {
                float one = r < out.length
                        ? Q4_0Interleaved.dotRow(packed, Q4_0Interleaved.groupOffset(r / 8, COLS), r % 8, a, b, COLS)
                        : Q4_0Interleaved.dotPlainRow(packed, r * ROW_BYTES, a, b, COLS);
                if (r < out.length) {
                    assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(out[r]), "input " + b + " row " + r);
                }
                // the same row in plain layout, through the tail's path: the same float
                assertEquals(Float.floatToIntBits(one),
                        Float.floatToIntBits(Q4_0Interleaved.dotPlainRow(plain, r * ROW_BYTES, a, b, COLS)),
                        "input " + b + " row " + r + " packed vs plain");
                float ref = PLAIN.dotQuantizedScalar(plain, r * ROW_BYTES, a, b, COLS);
                assertTrue(Math.abs(one - ref) <= 1e-5f * magnitude(plain, r, a, b),
                        "input " + b + " row " + r + ": " + one + " vs reference " + ref);
            }
        }
    }

    @Test
    void packedRowsShouldDecodeToThePlainRowsFloats() {
        SplittableRandom rnd = new SplittableRandom(8);
        MemorySegment plain = plainRows(rnd);
        MemorySegment packed = NativeSegments.zeroed(ROW_BYTES * ROWS);
        Q4_0Interleaved.pack(plain, 0, ROW_BYTES, ROWS, COLS, packed, 0);
        float[] tile = new float[8 * COLS];
        Q4_0Interleaved.dequantizeGroup(packed, Q4_0Interleaved.groupOffset(1, COLS), COLS, tile, 0, COLS);
        for (int r = 0; r < 16; r++) {
            float[] want = new float[COLS];
            PLAIN.dequantize(plain, r * ROW_BYTES, want, 0, COLS);
            float[] got = new float[COLS];
            Q4_0Interleaved.dequantizeRow(packed, Q4_0Interleaved.groupOffset(r / 8, COLS), r % 8, COLS, got, 0);
            assertArrayEquals(want, got, "row " + r);
            if (r >= 8) {
                assertArrayEquals(want, java.util.Arrays.copyOfRange(tile, (r - 8) * COLS, (r - 7) * COLS),
                        "row " + r + " of a decoded group");
            }
        }
        for (int r = 16; r < ROWS; r++) {
            assertTrue(plain.asSlice(r * ROW_BYTES, ROW_BYTES).mismatch(packed.asSlice(r * ROW_BYTES, ROW_BYTES)) < 0,
                    "tail row " + r + " is copied as it is");
        }
    }

    @Test
    void negativeSubnormalAndZeroScalesShouldConvertExactly() {
        assumeTrue(Q4_0Interleaved.supported(), "the group kernel runs on 256-bit vectors only");
        SplittableRandom rnd = new SplittableRandom(9);
        MemorySegment plain = plainRows(rnd);
        short[] scales = {(short) 0x8001, 0x0001, 0x03FF, 0, (short) 0x8000, (short) 0xBC00, 0x7BFF, (short) 0xFBFF};
        for (int r = 0; r < 8; r++) {
            for (int b = 0; b < COLS / 32; b++) {
                plain.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, r * ROW_BYTES + 18L * b,
                        scales[(r + b) % scales.length]);
            }
        }
        MemorySegment packed = NativeSegments.zeroed(ROW_BYTES * ROWS);
        Q4_0Interleaved.pack(plain, 0, ROW_BYTES, ROWS, COLS, packed, 0);
        QuantizedActivations a = activations(rnd, 1);
        float[] out = new float[8];
        Q4_0Interleaved.dotGroups(packed, 0, a, 0, COLS, 0, 1, out, 0);
        for (int r = 0; r < 8; r++) {
            assertEquals(Float.floatToIntBits(Q4_0Interleaved.dotPlainRow(plain, r * ROW_BYTES, a, 0, COLS)),
                    Float.floatToIntBits(out[r]), "row " + r);
        }
    }

    private static MemorySegment plainRows(SplittableRandom rnd) {
        MemorySegment plain = NativeSegments.zeroed(ROW_BYTES * ROWS);
        for (int r = 0; r < ROWS; r++) {
            float[] w = new float[COLS];
            for (int i = 0; i < COLS; i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            PLAIN.quantize(w, 0, COLS, plain, r * ROW_BYTES);
        }
        return plain;
    }

    private static QuantizedActivations activations(SplittableRandom rnd, int n) {
        float[] x = new float[n * COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        QuantizedActivations a = new QuantizedActivations(ActivationType.Q8_0, n, COLS);
        a.quantize(x, COLS, n, COLS);
        return a;
    }

    /** Σ|w·x| of row r and input b: what the float rounding of their dot scales with. */
    private static float magnitude(MemorySegment plain, int r, QuantizedActivations a, int b) {
        float[] w = new float[COLS];
        PLAIN.dequantize(plain, r * ROW_BYTES, w, 0, COLS);
        float[] x = a.dequantizedValues();
        double m = 0;
        for (int i = 0; i < COLS; i++) {
            m += Math.abs((double) w[i] * x[a.offset(b) + i]);
        }
        return (float) m;
    }
}
