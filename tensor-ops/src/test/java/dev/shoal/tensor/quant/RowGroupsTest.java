package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shoal.tensor.NativeSegments;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link RowGroups} layouts ({@link Q4_0Interleaved}, {@link Q4_KInterleaved}) against the plain rows they were
 * packed from: the group kernel gives each row exactly
 * what {@link Q4_0Interleaved#dotRow} gives (so how a row range is split cannot change a result), that is the
 * scalar reference dot up to float rounding, the tail rows go the same way, decoding a packed row gives the plain
 * row's floats bit for bit, and scales that are negative, subnormal or zero survive the kernel's f16 conversion.
 */
class RowGroupsTest {

    /** Three groups (ranges of groups start at the first or the second) and five plain tail rows. */
    private static final int ROWS = 29;

    /** A type, its layout, and the columns of the test matrix. */
    private record Case(GgmlType type, RowGroups layout, int cols) {
        QuantKernel plain() {
            return QuantKernels.forType(type, "test");
        }

        long rowBytes() {
            return type.bytesFor(cols);
        }

        /** Byte offsets of the f16 scales of a block within it, and the block's size. */
        int[] scaleOffsets() {
            return type == GgmlType.Q4_0 ? new int[] {0} : new int[] {0, 2};
        }

        int blockBytes() {
            return type == GgmlType.Q4_0 ? 18 : 144;
        }
    }

    static java.util.stream.Stream<Case> cases() {
        return java.util.stream.Stream.of(new Case(GgmlType.Q4_0, Q4_0Interleaved.INSTANCE, 160),
                new Case(GgmlType.Q4_K, Q4_KInterleaved.INSTANCE, 512));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void groupKernelShouldGiveEveryRowItsOwnDotBitForBit(Case c) {
        assumeTrue(RowGroups.supported(), "the group kernel runs on 256-bit vectors only");
        SplittableRandom rnd = new SplittableRandom(7);
        MemorySegment plain = plainRows(c, rnd);
        MemorySegment packed = NativeSegments.zeroed(c.rowBytes() * ROWS);
        c.layout().pack(plain, 0, c.rowBytes(), ROWS, c.cols(), packed, 0);
        QuantizedActivations a = activations(c, rnd, 3);
        int groups = ROWS / RowGroups.ROWS;
        for (int b = 0; b < 3; b++) {
            float[] out = new float[groups * RowGroups.ROWS];
            c.layout().dotGroups(packed, 0, a, b, c.cols(), 0, groups, out, 0);
            // from the second group on: a range that starts inside the matrix gives each row the same float
            float[] fromSecond = new float[(groups - 1) * RowGroups.ROWS];
            c.layout().dotGroups(packed, 0, a, b, c.cols(), 1, groups, fromSecond, 0);
            for (int r = RowGroups.ROWS; r < out.length; r++) {
                assertEquals(Float.floatToIntBits(out[r]), Float.floatToIntBits(fromSecond[r - RowGroups.ROWS]),
                        "input " + b + " row " + r + " with the groups from the second on");
            }
            for (int r = 0; r < ROWS; r++) {
                float one = r < out.length
                        ? c.layout().dotRow(packed, c.layout().groupOffset(r / 8, c.cols()), r % 8, a, b, c.cols())
                        : c.layout().dotPlainRow(packed, r * c.rowBytes(), a, b, c.cols());
                if (r < out.length) {
                    assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(out[r]), "input " + b + " row " + r);
                }
                // the same row in plain layout, through the tail's path: the same float
                assertEquals(Float.floatToIntBits(one),
                        Float.floatToIntBits(c.layout().dotPlainRow(plain, r * c.rowBytes(), a, b, c.cols())),
                        "input " + b + " row " + r + " packed vs plain");
                float ref = c.plain().dotQuantizedScalar(plain, r * c.rowBytes(), a, b, c.cols());
                assertTrue(Math.abs(one - ref) <= 1e-5f * magnitude(c, plain, r, a, b),
                        "input " + b + " row " + r + ": " + one + " vs reference " + ref);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void packedRowsShouldDecodeToThePlainRowsFloats(Case c) {
        SplittableRandom rnd = new SplittableRandom(8);
        MemorySegment plain = plainRows(c, rnd);
        MemorySegment packed = NativeSegments.zeroed(c.rowBytes() * ROWS);
        c.layout().pack(plain, 0, c.rowBytes(), ROWS, c.cols(), packed, 0);
        float[] tile = new float[8 * c.cols()];
        c.layout().dequantizeGroup(packed, c.layout().groupOffset(1, c.cols()), c.cols(), tile, 0, c.cols());
        for (int r = 0; r < 16; r++) {
            float[] want = new float[c.cols()];
            c.plain().dequantize(plain, r * c.rowBytes(), want, 0, c.cols());
            float[] got = new float[c.cols()];
            c.layout().dequantizeRow(packed, c.layout().groupOffset(r / 8, c.cols()), r % 8, c.cols(), got, 0);
            assertArrayEquals(want, got, "row " + r);
            if (r >= 8) {
                assertArrayEquals(want, java.util.Arrays.copyOfRange(tile, (r - 8) * c.cols(), (r - 7) * c.cols()),
                        "row " + r + " of a decoded group");
            }
        }
        for (int r = ROWS / 8 * 8; r < ROWS; r++) {
            assertTrue(plain.asSlice(r * c.rowBytes(), c.rowBytes()).mismatch(packed.asSlice(r * c.rowBytes(), c.rowBytes())) < 0,
                    "tail row " + r + " is copied as it is");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void negativeSubnormalAndZeroScalesShouldConvertExactly(Case c) {
        assumeTrue(RowGroups.supported(), "the group kernel runs on 256-bit vectors only");
        SplittableRandom rnd = new SplittableRandom(9);
        MemorySegment plain = plainRows(c, rnd);
        short[] scales = {(short) 0x8001, 0x0001, 0x03FF, 0, (short) 0x8000, (short) 0xBC00, 0x7BFF, (short) 0xFBFF};
        for (int r = 0; r < 8; r++) {
            for (int b = 0; b < c.rowBytes() / c.blockBytes(); b++) {
                for (int k : c.scaleOffsets()) {
                    plain.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED,
                            r * c.rowBytes() + (long) c.blockBytes() * b + k, scales[(r + b + k) % scales.length]);
                }
            }
        }
        MemorySegment packed = NativeSegments.zeroed(c.rowBytes() * ROWS);
        c.layout().pack(plain, 0, c.rowBytes(), ROWS, c.cols(), packed, 0);
        QuantizedActivations a = activations(c, rnd, 1);
        float[] out = new float[8];
        c.layout().dotGroups(packed, 0, a, 0, c.cols(), 0, 1, out, 0);
        for (int r = 0; r < 8; r++) {
            assertEquals(Float.floatToIntBits(c.layout().dotPlainRow(plain, r * c.rowBytes(), a, 0, c.cols())),
                    Float.floatToIntBits(out[r]), "row " + r);
        }
    }

    private static MemorySegment plainRows(Case c, SplittableRandom rnd) {
        MemorySegment plain = NativeSegments.zeroed(c.rowBytes() * ROWS);
        for (int r = 0; r < ROWS; r++) {
            float[] w = new float[c.cols()];
            for (int i = 0; i < c.cols(); i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            c.plain().quantize(w, 0, c.cols(), plain, r * c.rowBytes());
        }
        return plain;
    }

    private static QuantizedActivations activations(Case c, SplittableRandom rnd, int n) {
        float[] x = new float[n * c.cols()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        QuantizedActivations a = new QuantizedActivations(c.plain().activationType(), n, c.cols());
        a.quantize(x, c.cols(), n, c.cols());
        return a;
    }

    /** Σ|w·x| of row r and input b: what the float rounding of their dot scales with. */
    private static float magnitude(Case c, MemorySegment plain, int r, QuantizedActivations a, int b) {
        float[] w = new float[c.cols()];
        c.plain().dequantize(plain, r * c.rowBytes(), w, 0, c.cols());
        float[] x = a.dequantizedValues();
        double m = 0;
        for (int i = 0; i < c.cols(); i++) {
            m += Math.abs((double) w[i] * x[a.offset(b) + i]);
        }
        return (float) m;
    }
}
