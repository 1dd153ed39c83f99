package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 weights repacked eight rows at a time, so that a decode mat-vec keeps one row per vector lane and never
 * reduces across lanes (the same idea as llama.cpp's CPU_REPACK Q4_0x8, in a layout of our own).
 *
 * <p>Layout of a repacked matrix of {@code rows} × {@code cols} (cols a multiple of 32): {@code rows / 8} groups of
 * eight consecutive rows, then the last {@code rows % 8} rows in plain GGUF Q4_0 layout. A group is
 * {@code cols / 32} blocks of {@value #GROUP_BLOCK_BYTES} bytes, one per 32 columns, each:
 * <ul>
 *   <li>bytes 0-127: four 32-byte parts t = 0..3, each 16 little-endian shorts; short lane {@code 2r + p} of part t
 *       holds, in its bits {@code 4k..4k+3} (k = 0..3), the stored nibble (0..15) of row r's element
 *       {@code 8t + 2k + p} of the block;</li>
 *   <li>bytes 128-143: the eight rows' f16 scales d, row 0 first.</li>
 * </ul>
 * A group is exactly as large as its eight plain rows (8 × 18 bytes per block): the repacked copy is the size of the
 * plain matrix.
 *
 * <p>The kernel multiplies shift-and-masked nibbles by activations laid out by
 * {@link QuantizedActivations#broadcastPairArray}: for each (t, k) the pair (x[8t+2k], x[8t+2k+1]) packed in one int
 * and broadcast to the eight int lanes, so one 16-bit multiply covers two elements of eight rows. Per block and row
 * the 16-bit sums stay below 2^15 (16 products of at most 15·127 per lane) and the −8 of every nibble comes off
 * once, as 8·Σx of the block ({@link QuantizedActivations#blockOffsetArray}); the two lanes of a row are then
 * summed as in {@link Q4_0Kernel}'s nibble sums. Each row's result is {@code acc = fma(float(Σ) · d, dx, acc)} over
 * its blocks in order, which {@link #dotRow} repeats operation for operation, so a row gives the same float whether it sits in a group or in the plain tail.
 *
 * <p>256-bit vectors only ({@link RowGroups#supported}); elsewhere matrices keep the plain layout.
 */
public final class Q4_0Interleaved implements RowGroups {

    public static final Q4_0Interleaved INSTANCE = new Q4_0Interleaved();

    private static final int QK = 32;
    private static final int BLOCK = 18;
    /** Bytes of one block of a group: 128 of nibbles, 16 of scales. */
    public static final int GROUP_BLOCK_BYTES = ROWS * BLOCK;

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    /**
     * Repacks {@code rows} plain Q4_0 rows of {@code cols} columns, row r at {@code srcOff + r·srcRowBytes} in
     * {@code src}, into {@code dst} from {@code dstOff} ({@code rows · cols / 32 · 18} bytes).
     */
    @Override
    public void pack(MemorySegment src, long srcOff, long srcRowBytes, int rows, int cols, MemorySegment dst,
                     long dstOff) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        final int blocks = cols / QK;
        final long rowBytes = (long) blocks * BLOCK;
        final int groups = rows / ROWS;
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                final long to = dstOff + (long) g * ROWS * rowBytes + (long) b * GROUP_BLOCK_BYTES;
                for (int r = 0; r < ROWS; r++) {
                    final long from = srcOff + ((long) g * ROWS + r) * srcRowBytes + (long) b * BLOCK;
                    dst.set(I16, to + 128 + 2L * r, src.get(I16, from));
                    final long lo = src.get(I64, from + 2);
                    final long hi = src.get(I64, from + 10);
                    dst.set(I32, to + 4L * r, partOfRow(lo));
                    dst.set(I32, to + 32 + 4L * r, partOfRow(hi));
                    dst.set(I32, to + 64 + 4L * r, partOfRow(lo >>> 4));
                    dst.set(I32, to + 96 + 4L * r, partOfRow(hi >>> 4));
                }
            }
        }
        for (int r = groups * ROWS; r < rows; r++) {
            MemorySegment.copy(src, srcOff + r * srcRowBytes, dst, dstOff + r * rowBytes, rowBytes);
        }
    }

    /**
     * One row's int of a part from the eight plain bytes that hold its elements (shifted so the wanted nibbles are
     * each byte's low four bits): element i of the part is byte i's nibble, at bits 8i..8i+3 of {@code bytes}; the
     * int takes the even ones at bits 0, 4, 8, 12 and the odd ones at 16, 20, 24, 28 (lanes 2r and 2r+1).
     */
    static int partOfRow(long bytes) {
        // Long.compress is one PEXT on x86 with BMI2
        return (int) (Long.compress(bytes, 0x000F_000F_000F_000FL) | (Long.compress(bytes, 0x0F00_0F00_0F00_0F00L) << 16));
    }

    /** {@link QuantizedActivations#broadcastPairArray}'s layout of the n levels at {@code levels[from..]}. */
    static void broadcastPairs(float[] levels, int from, int n, int[] dst, int dstOff) {
        for (int i = 0; i < n / 2; i++) {
            dst[dstOff + i] = ((int) levels[from + 2 * i] & 0xFFFF) | ((int) levels[from + 2 * i + 1] << 16);
        }
    }

    /** Byte offset of group g (of a matrix with {@code cols} columns) from the start of the repacked data. */
    @Override
    public long groupOffset(int g, int cols) {
        return (long) g * ROWS * GgmlType.Q4_0.bytesFor(cols);
    }

    /**
     * {@code out[outOff + 8(g − g0) + r] = row 8g+r · input {@code row} of a}, for groups {@code [g0, g1)} of the
     * repacked data at {@code base}. {@code a} is Q8_0 activations with their broadcast pairs
     * ({@link QuantizedActivations#hasBroadcastPairs}).
     */
    @Override
    public void dotGroups(MemorySegment m, long base, QuantizedActivations a, int row, int cols, int g0, int g1,
                                 float[] out, int outOff) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        final int[] xs = a.broadcastPairArray();
        final int[] xo = a.blockOffsetArray();
        final float[] dx = a.scaleArray();
        final int blocks = cols / QK;
        final int bo = row * a.blocksPerRow();
        final int xsBase = a.broadcastPairOffset(row);
        final long groupBytes = (long) ROWS * blocks * BLOCK;
        for (int g = g0; g < g1; g++) {
            group(m, base + g * groupBytes, xs, xsBase, xo, dx, bo, blocks, out, outOff + ROWS * (g - g0));
        }
    }

    /**
     * One group: per block the four parts of 16 lanes (two elements of eight rows each), their 16-bit products
     * summed, the offset taken off, lane pairs summed to one int per row, then scaled. The four parts are written out
     * rather than looped: as a loop C2 kept the loop (with its index arithmetic) inside the block loop, 150
     * instructions per 144 bytes, where unrolled by hand the activation pairs are broadcast from constant offsets.
     * The top nibble of each short comes out of a 16-bit shift with nothing above it, so it needs no mask (one op
     * fewer per 64 weights; on a Zen 4 one-core decode of a 1B model went 10.28–10.39 → 10.31–11.15 tok/s in three
     * alternating 128-token runs, but 10.6–11.0 → 10.1–10.9 in two 64-token ones: within run-to-run noise).
     */
    private static void group(MemorySegment m, long at0, int[] xs, int xsBase, int[] xo, float[] dx, int bo,
                              int blocks, float[] out, int o) {
        // the eight rows' sums live in out, not in a vector carried round the block loop, as in Q4_KInterleaved (such
        // a vector has no exact class when C2 parses the loop; see also GroupWarmUp)
        FloatVector.zero(F8).intoArray(out, o);
        final FloatVector f16Bias = FloatVector.broadcast(F8, 0x1p112f);
        for (int b = 0; b < blocks; b++) {
            final long at = at0 + (long) GROUP_BLOCK_BYTES * b;
            final int xb = xsBase + 16 * b;
            final ShortVector v0 = ShortVector.fromMemorySegment(S16, m, at, LE);
            final IntVector w0 = v0.reinterpretAsInts();
            final ShortVector s0 = v0.and((short) 0xF).mul(IntVector.broadcast(I8, xs[xb]).reinterpretAsShorts())
                    .add(w0.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 1]).reinterpretAsShorts()))
                    .add(w0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 2]).reinterpretAsShorts()))
                    .add(v0.lanewise(VectorOperators.LSHR, 12)
                            .mul(IntVector.broadcast(I8, xs[xb + 3]).reinterpretAsShorts()));
            final ShortVector v1 = ShortVector.fromMemorySegment(S16, m, at + 32, LE);
            final IntVector w1 = v1.reinterpretAsInts();
            final ShortVector s1 = v1.and((short) 0xF).mul(IntVector.broadcast(I8, xs[xb + 4]).reinterpretAsShorts())
                    .add(w1.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 5]).reinterpretAsShorts()))
                    .add(w1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 6]).reinterpretAsShorts()))
                    .add(v1.lanewise(VectorOperators.LSHR, 12)
                            .mul(IntVector.broadcast(I8, xs[xb + 7]).reinterpretAsShorts()));
            final ShortVector v2 = ShortVector.fromMemorySegment(S16, m, at + 64, LE);
            final IntVector w2 = v2.reinterpretAsInts();
            final ShortVector s2 = v2.and((short) 0xF).mul(IntVector.broadcast(I8, xs[xb + 8]).reinterpretAsShorts())
                    .add(w2.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 9]).reinterpretAsShorts()))
                    .add(w2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 10]).reinterpretAsShorts()))
                    .add(v2.lanewise(VectorOperators.LSHR, 12)
                            .mul(IntVector.broadcast(I8, xs[xb + 11]).reinterpretAsShorts()));
            final ShortVector v3 = ShortVector.fromMemorySegment(S16, m, at + 96, LE);
            final IntVector w3 = v3.reinterpretAsInts();
            final ShortVector s3 = v3.and((short) 0xF).mul(IntVector.broadcast(I8, xs[xb + 12]).reinterpretAsShorts())
                    .add(w3.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 13]).reinterpretAsShorts()))
                    .add(w3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                            .mul(IntVector.broadcast(I8, xs[xb + 14]).reinterpretAsShorts()))
                    .add(v3.lanewise(VectorOperators.LSHR, 12)
                            .mul(IntVector.broadcast(I8, xs[xb + 15]).reinterpretAsShorts()));
            // lane 2r holds the offset, lane 2r+1 nothing: the pair's sum is what counts (modulo 2^16)
            final IntVector sum = s0.add(s1).add(s2.add(s3))
                    .sub(IntVector.broadcast(I8, xo[bo + b]).reinterpretAsShorts())
                    .reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16);
            // f16 → f32 exactly: sign-extended, shifted so the exponent and mantissa land in the f32 fields and the
            // sign in bit 31, then scaled by 2^(127−15) (subnormal f16 become f32 subnormals, scaled exactly)
            final FloatVector d = ((IntVector) ShortVector.fromMemorySegment(S8, m, at + 128, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias);
            ((FloatVector) sum.convertShape(VectorOperators.I2F, F8, 0)).mul(d)
                    .fma(FloatVector.broadcast(F8, dx[bo + b]), FloatVector.fromArray(F8, out, o)).intoArray(out, o);
        }
    }

    /**
     * Row {@code r} (0..7) of the group at {@code groupAt} · input {@code row} of Q8_0 activations {@code a}, in the
     * group kernel's order and rounding, element by element: the reference for tests and the path for lone rows.
     */
    @Override
    public float dotRow(MemorySegment m, long groupAt, int r, QuantizedActivations a, int row, int cols) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float acc = 0f;
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) GROUP_BLOCK_BYTES * b;
            int sum = 0;
            for (int j = 0; j < QK; j++) {
                sum += (nibbleAt(m, at, r, j) - 8) * (int) x[xo + QK * b + j];
            }
            acc = Math.fma(sum * BlockIo.f16(m, at + 128 + 2L * r), a.scale(row, b), acc);
        }
        return acc;
    }

    /** A plain tail row · input {@code row}, in the group kernel's order and rounding ({@link #dotRow}). */
    @Override
    public float dotPlainRow(MemorySegment m, long rowAt, QuantizedActivations a, int row, int cols) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float acc = 0f;
        for (int b = 0; b < cols / QK; b++) {
            final long at = rowAt + (long) BLOCK * b;
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                final int q = BlockIo.u8(m, at + 2 + j);
                sum += ((q & 0xF) - 8) * (int) x[xo + QK * b + j] + ((q >>> 4) - 8) * (int) x[xo + QK * b + j + 16];
            }
            acc = Math.fma(sum * BlockIo.f16(m, at), a.scale(row, b), acc);
        }
        return acc;
    }

    /** The stored nibble (0..15) of row r's element j of the group block at {@code at}. */
    private static int nibbleAt(MemorySegment m, long at, int r, int j) {
        final int t = j >> 3;
        final int k = (j & 7) >> 1;
        final int lane = 2 * r + (j & 1);
        return (m.get(I16, at + 32L * t + 2L * lane) >>> (4 * k)) & 0xF;
    }

    /**
     * Row r (0..7) of the group at {@code groupAt} as floats, (nibble − 8)·d per element: the same values as
     * {@link Q4_0Kernel#dequantize} gives for the plain row, signed zeros included. Read as ints, lane r of part t holds row r's elements 8t..8t+7, the even ones in bits
     * 4k, the odd ones in bits 16+4k; broadcast to eight lanes and shifted per lane, they come out in order.
     */
    @Override
    public void dequantizeRow(MemorySegment m, long groupAt, int r, int cols, float[] dst, int off) {
        BlockIo.checkBlocks(GgmlType.Q4_0, cols);
        final IntVector shifts = IntVector.fromArray(I8, ELEMENT_SHIFTS, 0);
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) GROUP_BLOCK_BYTES * b;
            final float d = BlockIo.f16(m, at + 128 + 2L * r);
            final FloatVector dv = FloatVector.broadcast(F8, d);
            for (int t = 0; t < 4; t++) {
                final IntVector e = IntVector.broadcast(I8, m.get(I32, at + 32L * t + 4L * r))
                        .lanewise(VectorOperators.LSHR, shifts).and(0xF).sub(8);
                ((FloatVector) e.convertShape(VectorOperators.I2F, F8, 0)).mul(dv).intoArray(dst, off + QK * b + 8 * t);
            }
        }
    }

    /** Lane i of a part's int for row r holds element i at this bit offset. */
    static final int[] ELEMENT_SHIFTS = {0, 16, 4, 20, 8, 24, 12, 28};

    private Q4_0Interleaved() {
    }
}
