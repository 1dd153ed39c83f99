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
 * <p>The kernel multiplies nibbles by activations laid out by {@link QuantizedActivations#broadcastPairArray}: for
 * each (t, k) one int of two 16-bit lanes (even element, odd element) broadcast to the eight int lanes, so one 16-bit
 * multiply covers two elements of eight rows. The nibbles are never masked: a short
 * w = n0 + 16·n1 + 256·n2 + 4096·n3 gives a_k = w >>> 4k = n_k + 16·n_(k+1) + … by shifts alone, and the
 * activations are stored as y_0 = x_0, y_k = x_k − 16·x_(k−1) ({@link #broadcastPairs}), so that Σ a_k·y_k
 * telescopes to Σ n_k·x_k. The
 * products and sums wrap modulo 2^16, which is exact because the true sum per block and lane lies in
 * (−2^15, 2^15) (16 products of at most 15·127). The −8 of every nibble comes off once, as 8·Σx of the block
 * ({@link QuantizedActivations#blockOffsetArray}); the two lanes of a row are then summed as in {@link Q4_0Kernel}'s
 * nibble sums. Each row's result is {@code acc = fma(float(Σ) · d, dx, acc)} over its blocks in order, which
 * {@link #dotRow} repeats operation for operation (with plain x and masked nibbles: the integer Σ is the same), so a
 * row gives the same float whether it sits in a group or in the plain tail.
 *
 * <p>256-bit vectors only ({@link RowGroups#supported}); elsewhere matrices keep the plain layout.
 */
public final class Q4_0Interleaved implements RowGroups {

    public static final Q4_0Interleaved INSTANCE = new Q4_0Interleaved();

    private static final int QK = 32;
    private static final int BLOCK = 18;
    /** Bytes of one block of a group: 128 of nibbles, 16 of scales. */
    public static final int GROUP_BLOCK_BYTES = ROWS * BLOCK;

    /** 4; not final on purpose: the kernels read it as a variable (see {@link #group}). */
    private static int nibbleShift = 4;

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

    /**
     * {@link QuantizedActivations#broadcastPairArray}'s layout of the n levels at {@code levels[from..]}: pair i holds
     * (q[2i], q[2i+1]), less 16 times pair i−1 lane by lane unless i is the first of its four (see the class
     * comment), each lane modulo 2^16 (|y| ≤ 17·127).
     */
    static void broadcastPairs(float[] levels, int from, int n, int[] dst, int dstOff) {
        for (int i = 0; i < n / 2; i++) {
            int even = (int) levels[from + 2 * i];
            int odd = (int) levels[from + 2 * i + 1];
            if ((i & 3) != 0) {
                even -= 16 * (int) levels[from + 2 * i - 2];
                odd -= 16 * (int) levels[from + 2 * i - 1];
            }
            dst[dstOff + i] = (even & 0xFFFF) | (odd << 16);
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
     * ({@link QuantizedActivations#hasBroadcastPairs}). Group g0+i goes with g0+h+i (h half the groups) through
     * {@link #groupPair}, two memory streams; an odd last group alone through {@link #group}.
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
        final int half = (g1 - g0) / 2;
        for (int i = 0; i < half; i++) {
            final int ga = g0 + i;
            final int gb = g0 + half + i;
            groupPair(m, base + ga * groupBytes, base + gb * groupBytes, xs, xsBase, xo, dx, bo, blocks, out,
                    outOff + ROWS * i, outOff + ROWS * (half + i));
        }
        if (2 * half < g1 - g0) {
            group(m, base + (g1 - 1) * groupBytes, xs, xsBase, xo, dx, bo, blocks, out, outOff + ROWS * (g1 - 1 - g0));
        }
    }

    /**
     * One group: per block the four parts of 16 lanes (two elements of eight rows each), their 16-bit products
     * summed, the offset taken off, lane pairs summed to one int per row, then scaled. The four parts are written out
     * rather than looped: as a loop C2 kept the loop (with its index arithmetic) inside the block loop, 150
     * instructions per 144 bytes, where unrolled by hand the activation pairs are broadcast from constant offsets.
     * Against a masked form (a and and a shift per nibble, the 0xF rematerialized from the constant table at every
     * use) this is 120 instructions per block instead of 153, and from L2 on a Zen 3 core 14.7 → 18.2 GB/s. The
     * shift count is read from a field, not written as a literal: C2 has no immediate form of a 16-bit vector shift
     * and re-created a constant count in a register before every shift (eight {@code vmovd} per block).
     */
    private static void group(MemorySegment m, long at0, int[] xs, int xsBase, int[] xo, float[] dx, int bo,
                              int blocks, float[] out, int o) {
        // the eight rows' sums live in out, not in a vector carried round the block loop, as in Q4_KInterleaved (such
        // a vector has no exact class when C2 parses the loop; see also GroupWarmUp)
        FloatVector.zero(F8).intoArray(out, o);
        final FloatVector f16Bias = FloatVector.broadcast(F8, 0x1p112f);
        final int nib = nibbleShift;
        for (int b = 0; b < blocks; b++) {
            final long at = at0 + (long) GROUP_BLOCK_BYTES * b;
            final int xb = xsBase + 16 * b;
            final ShortVector v0 = ShortVector.fromMemorySegment(S16, m, at, LE);
            final ShortVector v04 = v0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v08 = v04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s0 = v0.mul(IntVector.broadcast(I8, xs[xb]).reinterpretAsShorts())
                    .add(v04.mul(IntVector.broadcast(I8, xs[xb + 1]).reinterpretAsShorts()))
                    .add(v08.mul(IntVector.broadcast(I8, xs[xb + 2]).reinterpretAsShorts()))
                    .add(v08.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 3]).reinterpretAsShorts()));
            final ShortVector v1 = ShortVector.fromMemorySegment(S16, m, at + 32, LE);
            final ShortVector v14 = v1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v18 = v14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s1 = v1.mul(IntVector.broadcast(I8, xs[xb + 4]).reinterpretAsShorts())
                    .add(v14.mul(IntVector.broadcast(I8, xs[xb + 5]).reinterpretAsShorts()))
                    .add(v18.mul(IntVector.broadcast(I8, xs[xb + 6]).reinterpretAsShorts()))
                    .add(v18.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 7]).reinterpretAsShorts()));
            final ShortVector v2 = ShortVector.fromMemorySegment(S16, m, at + 64, LE);
            final ShortVector v24 = v2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v28 = v24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s2 = v2.mul(IntVector.broadcast(I8, xs[xb + 8]).reinterpretAsShorts())
                    .add(v24.mul(IntVector.broadcast(I8, xs[xb + 9]).reinterpretAsShorts()))
                    .add(v28.mul(IntVector.broadcast(I8, xs[xb + 10]).reinterpretAsShorts()))
                    .add(v28.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 11]).reinterpretAsShorts()));
            final ShortVector v3 = ShortVector.fromMemorySegment(S16, m, at + 96, LE);
            final ShortVector v34 = v3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v38 = v34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s3 = v3.mul(IntVector.broadcast(I8, xs[xb + 12]).reinterpretAsShorts())
                    .add(v34.mul(IntVector.broadcast(I8, xs[xb + 13]).reinterpretAsShorts()))
                    .add(v38.mul(IntVector.broadcast(I8, xs[xb + 14]).reinterpretAsShorts()))
                    .add(v38.lanewise(VectorOperators.LSHR, nib)
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
     * Two groups at once, {@code atA0} into {@code out[oA..oA+8)} and {@code atB0} into {@code out[oB..oB+8)}: each
     * broadcast activation pair meets both groups' weights, and the two groups are two independent memory streams
     * (dotGroups takes them from the two halves of its range). Otherwise {@link #group}'s arithmetic, operation for
     * operation, for each group, written out twice rather than through a helper (a helper returning a vector,
     * compiled on its own, would box it). The second stream is what counts: on a Zen 3 core, where {@link #group}
     * alone reads 9–10 GB/s from memory (its loads are too few per instruction to keep enough lines in flight), the
     * 1B Q4_0 decode went 11.9–12.4 → 18.4–18.7 tok/s on one thread (13 GB/s, the core's read bandwidth).
     */
    private static void groupPair(MemorySegment m, long atA0, long atB0, int[] xs, int xsBase, int[] xo, float[] dx,
                                  int bo, int blocks, float[] out, int oA, int oB) {
        FloatVector.zero(F8).intoArray(out, oA);
        FloatVector.zero(F8).intoArray(out, oB);
        final FloatVector f16Bias = FloatVector.broadcast(F8, 0x1p112f);
        final int nib = nibbleShift;
        for (int b = 0; b < blocks; b++) {
            final long atA = atA0 + (long) GROUP_BLOCK_BYTES * b;
            final long atB = atB0 + (long) GROUP_BLOCK_BYTES * b;
            final int xb = xsBase + 16 * b;
            final ShortVector x00 = IntVector.broadcast(I8, xs[xb]).reinterpretAsShorts();
            final ShortVector x01 = IntVector.broadcast(I8, xs[xb + 1]).reinterpretAsShorts();
            final ShortVector x02 = IntVector.broadcast(I8, xs[xb + 2]).reinterpretAsShorts();
            final ShortVector x03 = IntVector.broadcast(I8, xs[xb + 3]).reinterpretAsShorts();
            final ShortVector a0 = ShortVector.fromMemorySegment(S16, m, atA, LE);
            final ShortVector a04 = a0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a08 = a04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA0 = a0.mul(x00).add(a04.mul(x01)).add(a08.mul(x02))
                    .add(a08.lanewise(VectorOperators.LSHR, nib).mul(x03));
            final ShortVector b0 = ShortVector.fromMemorySegment(S16, m, atB, LE);
            final ShortVector b04 = b0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b08 = b04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB0 = b0.mul(x00).add(b04.mul(x01)).add(b08.mul(x02))
                    .add(b08.lanewise(VectorOperators.LSHR, nib).mul(x03));
            final ShortVector x10 = IntVector.broadcast(I8, xs[xb + 4]).reinterpretAsShorts();
            final ShortVector x11 = IntVector.broadcast(I8, xs[xb + 5]).reinterpretAsShorts();
            final ShortVector x12 = IntVector.broadcast(I8, xs[xb + 6]).reinterpretAsShorts();
            final ShortVector x13 = IntVector.broadcast(I8, xs[xb + 7]).reinterpretAsShorts();
            final ShortVector a1 = ShortVector.fromMemorySegment(S16, m, atA + 32, LE);
            final ShortVector a14 = a1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a18 = a14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA1 = sumA0.add(a1.mul(x10).add(a14.mul(x11)).add(a18.mul(x12))
                    .add(a18.lanewise(VectorOperators.LSHR, nib).mul(x13)));
            final ShortVector b1 = ShortVector.fromMemorySegment(S16, m, atB + 32, LE);
            final ShortVector b14 = b1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b18 = b14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB1 = sumB0.add(b1.mul(x10).add(b14.mul(x11)).add(b18.mul(x12))
                    .add(b18.lanewise(VectorOperators.LSHR, nib).mul(x13)));
            final ShortVector x20 = IntVector.broadcast(I8, xs[xb + 8]).reinterpretAsShorts();
            final ShortVector x21 = IntVector.broadcast(I8, xs[xb + 9]).reinterpretAsShorts();
            final ShortVector x22 = IntVector.broadcast(I8, xs[xb + 10]).reinterpretAsShorts();
            final ShortVector x23 = IntVector.broadcast(I8, xs[xb + 11]).reinterpretAsShorts();
            final ShortVector a2 = ShortVector.fromMemorySegment(S16, m, atA + 64, LE);
            final ShortVector a24 = a2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a28 = a24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA2 = sumA1.add(a2.mul(x20).add(a24.mul(x21)).add(a28.mul(x22))
                    .add(a28.lanewise(VectorOperators.LSHR, nib).mul(x23)));
            final ShortVector b2 = ShortVector.fromMemorySegment(S16, m, atB + 64, LE);
            final ShortVector b24 = b2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b28 = b24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB2 = sumB1.add(b2.mul(x20).add(b24.mul(x21)).add(b28.mul(x22))
                    .add(b28.lanewise(VectorOperators.LSHR, nib).mul(x23)));
            final ShortVector x30 = IntVector.broadcast(I8, xs[xb + 12]).reinterpretAsShorts();
            final ShortVector x31 = IntVector.broadcast(I8, xs[xb + 13]).reinterpretAsShorts();
            final ShortVector x32 = IntVector.broadcast(I8, xs[xb + 14]).reinterpretAsShorts();
            final ShortVector x33 = IntVector.broadcast(I8, xs[xb + 15]).reinterpretAsShorts();
            final ShortVector a3 = ShortVector.fromMemorySegment(S16, m, atA + 96, LE);
            final ShortVector a34 = a3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a38 = a34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA3 = sumA2.add(a3.mul(x30).add(a34.mul(x31)).add(a38.mul(x32))
                    .add(a38.lanewise(VectorOperators.LSHR, nib).mul(x33)));
            final ShortVector b3 = ShortVector.fromMemorySegment(S16, m, atB + 96, LE);
            final ShortVector b34 = b3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b38 = b34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB3 = sumB2.add(b3.mul(x30).add(b34.mul(x31)).add(b38.mul(x32))
                    .add(b38.lanewise(VectorOperators.LSHR, nib).mul(x33)));
            final ShortVector offset = IntVector.broadcast(I8, xo[bo + b]).reinterpretAsShorts();
            final FloatVector scaleX = FloatVector.broadcast(F8, dx[bo + b]);
            final IntVector sumA = sumA3.sub(offset)
                    .reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16);
            final FloatVector dA = ((IntVector) ShortVector.fromMemorySegment(S8, m, atA + 128, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias);
            ((FloatVector) sumA.convertShape(VectorOperators.I2F, F8, 0)).mul(dA)
                    .fma(scaleX, FloatVector.fromArray(F8, out, oA)).intoArray(out, oA);
            final IntVector sumB = sumB3.sub(offset)
                    .reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16);
            final FloatVector dB = ((IntVector) ShortVector.fromMemorySegment(S8, m, atB + 128, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias);
            ((FloatVector) sumB.convertShape(VectorOperators.I2F, F8, 0)).mul(dB)
                    .fma(scaleX, FloatVector.fromArray(F8, out, oB)).intoArray(out, oB);
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
     * {@link Q4_0Kernel#dequantize} gives for the plain row, signed zeros included. Read as ints, lane r of part t
     * holds row r's elements 8t..8t+7, the even ones in bits 4k, the odd ones in bits 16+4k; broadcast to eight
     * lanes and shifted per lane, they come out in order.
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
