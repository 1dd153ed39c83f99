package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights repacked eight rows at a time ({@link RowGroups}). A group of a matrix with B super-blocks of 256
 * columns per row (S = 8B sub-blocks of 32) is 1152·B bytes, as its eight plain rows are, in five runs:
 * <ul>
 *   <li>{@code 128·j}: sub-block j (j = 8b + s), 128 bytes laid out as a {@link Q4_0Interleaved} block (four parts;
 *       short lane 2r+p of part t holds row r's nibbles of elements 8t+2k+p, k = 0..3);</li>
 *   <li>{@code 1024·B + 8·j}: eight bytes, row r's at +r: scale j (six bits), and the top two bits of min j above
 *       it;</li>
 *   <li>{@code 1088·B + 8·(j/2)}: eight bytes, row r's at +r: the low four bits of min j (even j) and of min j+1
 *       above them;</li>
 *   <li>{@code 1120·B + 16·b}: the eight rows' f16 d of super-block b; {@code 1136·B + 16·b}: their f16 dmin.</li>
 * </ul>
 * Every run is linear in the sub-block index, so each kernel is one loop over it whose segment accesses C2 checks
 * once per call, the shape of {@link Q4_0Interleaved}'s kernel; with a sub-block loop inside a super-block loop, over
 * super-blocks laid out one after another, about a sixth of the loop's instructions moved vectors to and from the
 * stack.
 *
 * <p>Per sub-block the kernel sums nibble × level in 16-bit lanes as {@link Q4_0Interleaved}'s kernel does (unmasked
 * nibbles against the telescoped activation pairs of {@link QuantizedActivations#broadcastPairArray}, exact modulo
 * 2^16) and adds each row's two lanes sign-extended to 32 bits: Σq·x exactly, since each lane's true sum is at most
 * 16·15·127 &lt; 2^15 (Q4_K nibbles carry no offset, so the pair's sum, unlike Q4_0's, may not fit 16 bits). Those
 * sums go to a per-thread int array, and a second pass ({@link #superBlocks}) takes each super-block as llama.cpp's
 * Q4_K kernels do: {@code sumi = Σ scale·Σq·x}, {@code summ = Σ min·Σx} in ints, then
 * {@code acc = fma(sumi, d·dx, acc)} and {@code acc = fma(summ, dmin·(−dx), acc)}. Scales, mins and d thus cost
 * once per super-block's pass rather than in the nibble loop (session 28: the nibble loop 230 → 153 instructions
 * per sub-block of two groups, the second pass 210 per super-block of one; decode +10 % on one core).
 * {@link #dotRow} and {@link #dotPlainRow} repeat this exactly.
 */
public final class Q4_KInterleaved implements RowGroups {

    public static final Q4_KInterleaved INSTANCE = new Q4_KInterleaved();

    private static final int QK = 256;
    private static final int BLOCK = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    /** 4; not final on purpose, as in {@link Q4_0Interleaved}: C2 keeps a field's shift count in a register. */
    private static int nibbleShift = 4;
    /**
     * This thread's sub-block sums of a group pair for {@link #superBlocks}: {@code 64·B} ints per group of B
     * super-blocks per row, sized at first for two groups of 8192 columns and grown only for wider matrices.
     */
    private static final ThreadLocal<int[]> SUB_BLOCK_SUMS = ThreadLocal.withInitial(() -> new int[2 * 64 * 32]);

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private Q4_KInterleaved() {
    }

    /** Offset within a group of sub-block j's scale bytes; {@code blocks} super-blocks per row. */
    private static long scaleAt(int blocks, int j) {
        return 1024L * blocks + 8L * j;
    }

    /** Offset of the byte holding the low four bits of min j of row r: the low nibble for even j, high for odd. */
    private static long minLowAt(int blocks, int j, int r) {
        return 1088L * blocks + 8L * (j >> 1) + r;
    }

    static long dAt(int blocks, int b) {
        return 1120L * blocks + 16L * b;
    }

    static long dminAt(int blocks, int b) {
        return 1136L * blocks + 16L * b;
    }

    @Override
    public void pack(MemorySegment src, long srcOff, long srcRowBytes, int rows, int cols, MemorySegment dst,
                     long dstOff) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int blocks = cols / QK;
        final long rowBytes = (long) blocks * BLOCK;
        final int groups = rows / ROWS;
        for (int g = 0; g < groups; g++) {
            final long to = dstOff + (long) g * ROWS * rowBytes;
            for (int b = 0; b < blocks; b++) {
                for (int r = 0; r < ROWS; r++) {
                    final long from = srcOff + ((long) g * ROWS + r) * srcRowBytes + (long) b * BLOCK;
                    dst.set(I16, to + dAt(blocks, b) + 2L * r, src.get(I16, from));
                    dst.set(I16, to + dminAt(blocks, b) + 2L * r, src.get(I16, from + 2));
                    final long low = KScales.low(src, from + SCALES);
                    final int high = KScales.high(src, from + SCALES);
                    for (int s = 0; s < 8; s++) {
                        final int j = 8 * b + s;
                        final int sc = KScales.scale(low, high, s);
                        final int mn = KScales.min(low, high, s);
                        dst.set(ValueLayout.JAVA_BYTE, to + scaleAt(blocks, j) + r, (byte) (sc | (mn >>> 4) << 6));
                        final long minLow = to + minLowAt(blocks, j, r);
                        final int shift = 4 * (j & 1);
                        dst.set(ValueLayout.JAVA_BYTE, minLow,
                                (byte) (dst.get(ValueLayout.JAVA_BYTE, minLow) & ~(15 << shift) | (mn & 15) << shift));
                        // sub-block s is the low (s even) or high nibbles of the 32 bytes of chunk s/2
                        for (int t = 0; t < 4; t++) {
                            final long bytes = src.get(I64, from + QS + 32L * (s >> 1) + 8L * t) >>> (4 * (s & 1));
                            dst.set(I32, to + 128L * j + 32L * t + 4L * r, Q4_0Interleaved.partOfRow(bytes));
                        }
                    }
                }
            }
        }
        for (int r = groups * ROWS; r < rows; r++) {
            MemorySegment.copy(src, srcOff + r * srcRowBytes, dst, dstOff + r * rowBytes, rowBytes);
        }
    }

    @Override
    public long groupOffset(int g, int cols) {
        return (long) g * ROWS * GgmlType.Q4_K.bytesFor(cols);
    }

    /**
     * {@code out[outOff + 8(g − g0) + r] = row 8g+r · input {@code row} of a}, for groups {@code [g0, g1)} of the
     * repacked data at {@code base}; {@code a} is Q8_K activations with their broadcast pairs
     * ({@link QuantizedActivations#hasBroadcastPairs}). As in {@link Q4_0Interleaved#dotGroups}, group g0+i goes with
     * g0+h+i (h half the groups) through {@link #groupPair}, two memory streams; an odd last group alone through
     * {@link #group}. Each group's sub-block sums then go through {@link #superBlocks}.
     */
    @Override
    public void dotGroups(MemorySegment m, long base, QuantizedActivations a, int row, int cols, int g0, int g1,
                          float[] out, int outOff) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int[] xs = a.broadcastPairArray();
        final int[] sub = a.subBlockSumArray();
        final float[] dx = a.scaleArray();
        final int blocks = cols / QK;
        final int bo = row * a.blocksPerRow();
        final int xsBase = a.broadcastPairOffset(row);
        final long groupBytes = (long) ROWS * blocks * BLOCK;
        final int sums = 64 * blocks;
        final int[] qx = subBlockSums(2 * sums);
        final int half = (g1 - g0) / 2;
        for (int i = 0; i < half; i++) {
            final long atA = base + (g0 + i) * groupBytes;
            final long atB = base + (g0 + half + i) * groupBytes;
            groupPair(m, atA, atB, xs, xsBase, blocks, qx, sums);
            superBlocks(m, atA, qx, 0, sub, dx, bo, blocks, out, outOff + ROWS * i);
            superBlocks(m, atB, qx, sums, sub, dx, bo, blocks, out, outOff + ROWS * (half + i));
        }
        if (2 * half < g1 - g0) {
            final long at = base + (g1 - 1) * groupBytes;
            group(m, at, xs, xsBase, blocks, qx);
            superBlocks(m, at, qx, 0, sub, dx, bo, blocks, out, outOff + ROWS * (g1 - 1 - g0));
        }
    }

    /** This thread's array for {@link #group}'s sums, at least {@code n} ints (grown, never per call). */
    private static int[] subBlockSums(int n) {
        int[] s = SUB_BLOCK_SUMS.get();
        if (s.length < n) {
            s = new int[n];
            SUB_BLOCK_SUMS.set(s);
        }
        return s;
    }

    /**
     * The integer part of one group: {@code qx[8j + r] = Σq·x} of row r's sub-block j, one loop over the sub-blocks,
     * each as a {@link Q4_0Interleaved} block (its four parts written out, the activation pairs broadcast from one
     * int each), the two 16-bit lanes of a row sign-extended and summed. Scales, mins and d wait for
     * {@link #superBlocks}, so the loop is the nibble arithmetic alone, as {@link Q4_0Interleaved}'s is.
     *
     * <p>The {@code Objects.checkIndex} calls between the parts never fail and cost three instructions each; they are
     * there for C2's scheduler, which orders instructions within a basic block by latency alone and, given the whole
     * loop body as one block, loaded all sixteen activation broadcasts first and spilled them (session 25: 287
     * instructions per sub-block pair, about 40 of them stack moves; with the checks 220 and none).
     * {@link Q4_0Interleaved}'s kernel gets the same split from segment checks C2 leaves in its loop.
     */
    private static void group(MemorySegment m, long at0, int[] xs, int xsBase, int blocks, int[] qx) {
        final int nib = nibbleShift;
        for (int j = 0; j < 8 * blocks; j++) {
            final long sb = at0 + 128L * j;
            final int xb = xsBase + 16 * j;
            final ShortVector v0 = ShortVector.fromMemorySegment(S16, m, sb, LE);
            final ShortVector v04 = v0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v08 = v04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s0 = v0.mul(IntVector.broadcast(I8, xs[xb]).reinterpretAsShorts())
                    .add(v04.mul(IntVector.broadcast(I8, xs[xb + 1]).reinterpretAsShorts()))
                    .add(v08.mul(IntVector.broadcast(I8, xs[xb + 2]).reinterpretAsShorts()))
                    .add(v08.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 3]).reinterpretAsShorts()));
            Objects.checkIndex((j + 1) >>> 3, blocks + 1);
            final ShortVector v1 = ShortVector.fromMemorySegment(S16, m, sb + 32, LE);
            final ShortVector v14 = v1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v18 = v14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s1 = s0.add(v1.mul(IntVector.broadcast(I8, xs[xb + 4]).reinterpretAsShorts())
                    .add(v14.mul(IntVector.broadcast(I8, xs[xb + 5]).reinterpretAsShorts()))
                    .add(v18.mul(IntVector.broadcast(I8, xs[xb + 6]).reinterpretAsShorts()))
                    .add(v18.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 7]).reinterpretAsShorts())));
            Objects.checkIndex((j + 2) >>> 3, blocks + 1);
            final ShortVector v2 = ShortVector.fromMemorySegment(S16, m, sb + 64, LE);
            final ShortVector v24 = v2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v28 = v24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s2 = s1.add(v2.mul(IntVector.broadcast(I8, xs[xb + 8]).reinterpretAsShorts())
                    .add(v24.mul(IntVector.broadcast(I8, xs[xb + 9]).reinterpretAsShorts()))
                    .add(v28.mul(IntVector.broadcast(I8, xs[xb + 10]).reinterpretAsShorts()))
                    .add(v28.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 11]).reinterpretAsShorts())));
            Objects.checkIndex((j + 3) >>> 3, blocks + 1);
            final ShortVector v3 = ShortVector.fromMemorySegment(S16, m, sb + 96, LE);
            final ShortVector v34 = v3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector v38 = v34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector s3 = s2.add(v3.mul(IntVector.broadcast(I8, xs[xb + 12]).reinterpretAsShorts())
                    .add(v34.mul(IntVector.broadcast(I8, xs[xb + 13]).reinterpretAsShorts()))
                    .add(v38.mul(IntVector.broadcast(I8, xs[xb + 14]).reinterpretAsShorts()))
                    .add(v38.lanewise(VectorOperators.LSHR, nib)
                            .mul(IntVector.broadcast(I8, xs[xb + 15]).reinterpretAsShorts())));
            final IntVector pair = s3.reinterpretAsInts();
            pair.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pair.lanewise(VectorOperators.ASHR, 16)).intoArray(qx, 8 * j);
        }
    }

    /**
     * Two groups at once, {@code atA0}'s sums into {@code qx[0..)} and {@code atB0}'s into {@code qx[sumsB..)}: each
     * broadcast activation pair meets both groups' weights, and the two groups are two independent memory streams,
     * which is what lets one core read at its bandwidth (see {@link Q4_0Interleaved}'s {@code groupPair}). Otherwise
     * {@link #group}'s arithmetic, operation for operation, for each group, written out twice (a helper returning a
     * vector, compiled on its own, would box it).
     */
    private static void groupPair(MemorySegment m, long atA0, long atB0, int[] xs, int xsBase, int blocks, int[] qx,
                                  int sumsB) {
        final int nib = nibbleShift;
        for (int j = 0; j < 8 * blocks; j++) {
            final long sA = atA0 + 128L * j;
            final long sB = atB0 + 128L * j;
            final int xb = xsBase + 16 * j;
            final ShortVector x00 = IntVector.broadcast(I8, xs[xb]).reinterpretAsShorts();
            final ShortVector x01 = IntVector.broadcast(I8, xs[xb + 1]).reinterpretAsShorts();
            final ShortVector x02 = IntVector.broadcast(I8, xs[xb + 2]).reinterpretAsShorts();
            final ShortVector x03 = IntVector.broadcast(I8, xs[xb + 3]).reinterpretAsShorts();
            final ShortVector a0 = ShortVector.fromMemorySegment(S16, m, sA, LE);
            final ShortVector a04 = a0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a08 = a04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA0 = a0.mul(x00).add(a04.mul(x01)).add(a08.mul(x02))
                    .add(a08.lanewise(VectorOperators.LSHR, nib).mul(x03));
            final ShortVector b0 = ShortVector.fromMemorySegment(S16, m, sB, LE);
            final ShortVector b04 = b0.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b08 = b04.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB0 = b0.mul(x00).add(b04.mul(x01)).add(b08.mul(x02))
                    .add(b08.lanewise(VectorOperators.LSHR, nib).mul(x03));
            Objects.checkIndex((j + 1) >>> 3, blocks + 1);
            final ShortVector x10 = IntVector.broadcast(I8, xs[xb + 4]).reinterpretAsShorts();
            final ShortVector x11 = IntVector.broadcast(I8, xs[xb + 5]).reinterpretAsShorts();
            final ShortVector x12 = IntVector.broadcast(I8, xs[xb + 6]).reinterpretAsShorts();
            final ShortVector x13 = IntVector.broadcast(I8, xs[xb + 7]).reinterpretAsShorts();
            final ShortVector a1 = ShortVector.fromMemorySegment(S16, m, sA + 32, LE);
            final ShortVector a14 = a1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a18 = a14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA1 = sumA0.add(a1.mul(x10).add(a14.mul(x11)).add(a18.mul(x12))
                    .add(a18.lanewise(VectorOperators.LSHR, nib).mul(x13)));
            final ShortVector b1 = ShortVector.fromMemorySegment(S16, m, sB + 32, LE);
            final ShortVector b14 = b1.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b18 = b14.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB1 = sumB0.add(b1.mul(x10).add(b14.mul(x11)).add(b18.mul(x12))
                    .add(b18.lanewise(VectorOperators.LSHR, nib).mul(x13)));
            Objects.checkIndex((j + 2) >>> 3, blocks + 1);
            final ShortVector x20 = IntVector.broadcast(I8, xs[xb + 8]).reinterpretAsShorts();
            final ShortVector x21 = IntVector.broadcast(I8, xs[xb + 9]).reinterpretAsShorts();
            final ShortVector x22 = IntVector.broadcast(I8, xs[xb + 10]).reinterpretAsShorts();
            final ShortVector x23 = IntVector.broadcast(I8, xs[xb + 11]).reinterpretAsShorts();
            final ShortVector a2 = ShortVector.fromMemorySegment(S16, m, sA + 64, LE);
            final ShortVector a24 = a2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a28 = a24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA2 = sumA1.add(a2.mul(x20).add(a24.mul(x21)).add(a28.mul(x22))
                    .add(a28.lanewise(VectorOperators.LSHR, nib).mul(x23)));
            final ShortVector b2 = ShortVector.fromMemorySegment(S16, m, sB + 64, LE);
            final ShortVector b24 = b2.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b28 = b24.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB2 = sumB1.add(b2.mul(x20).add(b24.mul(x21)).add(b28.mul(x22))
                    .add(b28.lanewise(VectorOperators.LSHR, nib).mul(x23)));
            Objects.checkIndex((j + 3) >>> 3, blocks + 1);
            final ShortVector x30 = IntVector.broadcast(I8, xs[xb + 12]).reinterpretAsShorts();
            final ShortVector x31 = IntVector.broadcast(I8, xs[xb + 13]).reinterpretAsShorts();
            final ShortVector x32 = IntVector.broadcast(I8, xs[xb + 14]).reinterpretAsShorts();
            final ShortVector x33 = IntVector.broadcast(I8, xs[xb + 15]).reinterpretAsShorts();
            final ShortVector a3 = ShortVector.fromMemorySegment(S16, m, sA + 96, LE);
            final ShortVector a34 = a3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector a38 = a34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumA3 = sumA2.add(a3.mul(x30).add(a34.mul(x31)).add(a38.mul(x32))
                    .add(a38.lanewise(VectorOperators.LSHR, nib).mul(x33)));
            final ShortVector b3 = ShortVector.fromMemorySegment(S16, m, sB + 96, LE);
            final ShortVector b34 = b3.lanewise(VectorOperators.LSHR, nib);
            final ShortVector b38 = b34.lanewise(VectorOperators.LSHR, nib);
            final ShortVector sumB3 = sumB2.add(b3.mul(x30).add(b34.mul(x31)).add(b38.mul(x32))
                    .add(b38.lanewise(VectorOperators.LSHR, nib).mul(x33)));
            final IntVector pairA = sumA3.reinterpretAsInts();
            pairA.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pairA.lanewise(VectorOperators.ASHR, 16)).intoArray(qx, 8 * j);
            final IntVector pairB = sumB3.reinterpretAsInts();
            pairB.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pairB.lanewise(VectorOperators.ASHR, 16)).intoArray(qx, sumsB + 8 * j);
        }
    }

    /**
     * One group's result into {@code out[o..o+8)} from its sub-block sums {@code qx[q0 + 8j + r]}: per super-block
     * b, as llama.cpp's Q4_K kernels do, {@code sumi = Σ scale·Σq·x} and {@code summ = Σ min·Σx} over its eight
     * sub-blocks in ints (exact: at most 8·63·32·15·127 and 8·63·32·128, below 2^31), then
     * {@code acc = fma(sumi, d·dx, acc)} and {@code acc = fma(summ, dmin·(−dx), acc)}. The eight sub-blocks are
     * written out and summed as a tree, so nothing is carried round the loop but {@code out}; the loop runs over the
     * sub-block index in steps of eight, every address linear in it, so that C2 checks the segment accesses once per
     * call rather than at each (over a super-block index it checked each: four times the instructions).
     */
    private static void superBlocks(MemorySegment m, long at0, int[] qx, int q0, int[] sub, float[] dx, int bo,
                                    int blocks, float[] out, int o) {
        FloatVector.zero(F8).intoArray(out, o);
        final FloatVector f16Bias = FloatVector.broadcast(F8, 0x1p112f);
        final long scales = scaleAt(blocks, 0);
        final long minLows = minLowAt(blocks, 0, 0);
        final long ds = dAt(blocks, 0);
        final long dmins = dminAt(blocks, 0);
        for (int j0 = 0; j0 < 8 * blocks; j0 += 8) {
            final int ss = 8 * bo + j0;
            final int q = q0 + 8 * j0;
            final IntVector sb0 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb1 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 8, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb2 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb3 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 24, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb4 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 32, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb5 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 40, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb6 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 48, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sb7 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + scales + 8L * j0 + 56, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector sumi = sb0.and(63).mul(IntVector.fromArray(I8, qx, q))
                    .add(sb1.and(63).mul(IntVector.fromArray(I8, qx, q + 8)))
                    .add(sb2.and(63).mul(IntVector.fromArray(I8, qx, q + 16))
                            .add(sb3.and(63).mul(IntVector.fromArray(I8, qx, q + 24))))
                    .add(sb4.and(63).mul(IntVector.fromArray(I8, qx, q + 32))
                            .add(sb5.and(63).mul(IntVector.fromArray(I8, qx, q + 40)))
                            .add(sb6.and(63).mul(IntVector.fromArray(I8, qx, q + 48))
                                    .add(sb7.and(63).mul(IntVector.fromArray(I8, qx, q + 56)))));
            final IntVector low0 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + minLows + 4L * j0, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector low1 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + minLows + 4L * j0 + 8, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector low2 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + minLows + 4L * j0 + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            final IntVector low3 = (IntVector) ByteVector.fromMemorySegment(B8, m, at0 + minLows + 4L * j0 + 24, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
            // a min is the scale byte's top two bits above four from the shared byte: (sb >>> 6) << 4 is
            // (sb >>> 2) & 0x30; the super-block's eight sub-block sums sit in QuantizedActivations.subBlockSlot
            // order, sub-block s at 2(s & 3) + s/4
            final IntVector summ = sb0.lanewise(VectorOperators.LSHR, 2).and(0x30).or(low0.and(15)).mul(sub[ss])
                    .add(sb1.lanewise(VectorOperators.LSHR, 2).and(0x30).or(low0.lanewise(VectorOperators.LSHR, 4))
                            .mul(sub[ss + 2]))
                    .add(sb2.lanewise(VectorOperators.LSHR, 2).and(0x30).or(low1.and(15)).mul(sub[ss + 4])
                            .add(sb3.lanewise(VectorOperators.LSHR, 2).and(0x30)
                                    .or(low1.lanewise(VectorOperators.LSHR, 4)).mul(sub[ss + 6])))
                    .add(sb4.lanewise(VectorOperators.LSHR, 2).and(0x30).or(low2.and(15)).mul(sub[ss + 1])
                            .add(sb5.lanewise(VectorOperators.LSHR, 2).and(0x30)
                                    .or(low2.lanewise(VectorOperators.LSHR, 4)).mul(sub[ss + 3]))
                            .add(sb6.lanewise(VectorOperators.LSHR, 2).and(0x30).or(low3.and(15)).mul(sub[ss + 5])
                                    .add(sb7.lanewise(VectorOperators.LSHR, 2).and(0x30)
                                            .or(low3.lanewise(VectorOperators.LSHR, 4)).mul(sub[ss + 7]))));
            final float x = dx[bo + (j0 >>> 3)];
            final FloatVector d = ((IntVector) ShortVector.fromMemorySegment(S8, m, at0 + ds + 2L * j0, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias).mul(x);
            final FloatVector dm = ((IntVector) ShortVector.fromMemorySegment(S8, m, at0 + dmins + 2L * j0, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias).mul(-x);
            ((FloatVector) summ.convertShape(VectorOperators.I2F, F8, 0)).fma(dm,
                    ((FloatVector) sumi.convertShape(VectorOperators.I2F, F8, 0))
                            .fma(d, FloatVector.fromArray(F8, out, o))).intoArray(out, o);
        }
    }

    @Override
    public float dotRow(MemorySegment m, long groupAt, int r, QuantizedActivations a, int row, int cols) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final float[] x = a.values();
        final int xo = a.offset(row);
        final int blocks = cols / QK;
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            int sumi = 0;
            int summ = 0;
            for (int s = 0; s < 8; s++) {
                final int j = 8 * b + s;
                int qx = 0;
                for (int e = 0; e < 32; e++) {
                    qx += nibbleAt(m, groupAt + 128L * j, r, e) * (int) x[xo + 32 * j + e];
                }
                sumi += scaleOf(m, groupAt, blocks, r, j) * qx;
                summ += minOf(m, groupAt, blocks, r, j) * subBlockSum(a, row, b, s);
            }
            acc = Math.fma((float) sumi, BlockIo.f16(m, groupAt + dAt(blocks, b) + 2L * r) * a.scale(row, b), acc);
            acc = Math.fma((float) summ, BlockIo.f16(m, groupAt + dminAt(blocks, b) + 2L * r) * -a.scale(row, b),
                    acc);
        }
        return acc;
    }

    @Override
    public float dotPlainRow(MemorySegment m, long rowAt, QuantizedActivations a, int row, int cols) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float acc = 0f;
        for (int b = 0; b < cols / QK; b++) {
            final long at = rowAt + (long) BLOCK * b;
            final long low = KScales.low(m, at + SCALES);
            final int high = KScales.high(m, at + SCALES);
            int sumi = 0;
            int summ = 0;
            for (int s = 0; s < 8; s++) {
                int qx = 0;
                for (int e = 0; e < 32; e++) {
                    final int q = (BlockIo.u8(m, at + QS + 32L * (s >> 1) + e) >>> (4 * (s & 1))) & 0xF;
                    qx += q * (int) x[xo + QK * b + 32 * s + e];
                }
                sumi += KScales.scale(low, high, s) * qx;
                summ += KScales.min(low, high, s) * subBlockSum(a, row, b, s);
            }
            acc = Math.fma((float) sumi, BlockIo.f16(m, at) * a.scale(row, b), acc);
            acc = Math.fma((float) summ, BlockIo.f16(m, at + 2) * -a.scale(row, b), acc);
        }
        return acc;
    }

    /** Σ of the levels of sub-block s (32 columns) of super-block b of input {@code row}. */
    private static int subBlockSum(QuantizedActivations a, int row, int b, int s) {
        return a.groupSum(row, b, 2 * s) + a.groupSum(row, b, 2 * s + 1);
    }

    /** Scale j (0..63) of row r in the group at {@code groupAt}. */
    static int scaleOf(MemorySegment m, long groupAt, int blocks, int r, int j) {
        return m.get(ValueLayout.JAVA_BYTE, groupAt + scaleAt(blocks, j) + r) & 63;
    }

    /** Min j (0..63) of row r in the group at {@code groupAt}. */
    static int minOf(MemorySegment m, long groupAt, int blocks, int r, int j) {
        return ((m.get(ValueLayout.JAVA_BYTE, groupAt + scaleAt(blocks, j) + r) & 0xFF) >>> 6) << 4
                | ((m.get(ValueLayout.JAVA_BYTE, groupAt + minLowAt(blocks, j, r)) & 0xFF) >>> (4 * (j & 1))) & 15;
    }

    /** The nibble (0..15) of row r's element e of the 128-byte sub-block at {@code at}. */
    private static int nibbleAt(MemorySegment m, long at, int r, int e) {
        final int lane = 2 * r + (e & 1);
        return (m.get(I16, at + 32L * (e >> 3) + 2L * lane) >>> (4 * ((e & 7) >> 1))) & 0xF;
    }

    /**
     * Row r as floats: per sub-block {@code (d·scale)·q − dmin·min}, the plain kernel's operations; the eight
     * elements of a part come out in order as in {@link Q4_0Interleaved#dequantizeRow}.
     */
    @Override
    public void dequantizeRow(MemorySegment m, long groupAt, int r, int cols, float[] dst, int off) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int blocks = cols / QK;
        final IntVector shifts = IntVector.fromArray(I8, Q4_0Interleaved.ELEMENT_SHIFTS, 0);
        for (int b = 0; b < blocks; b++) {
            final float d = BlockIo.f16(m, groupAt + dAt(blocks, b) + 2L * r);
            final float dmin = BlockIo.f16(m, groupAt + dminAt(blocks, b) + 2L * r);
            for (int s = 0; s < 8; s++) {
                final int j = 8 * b + s;
                final FloatVector ds = FloatVector.broadcast(F8, d * scaleOf(m, groupAt, blocks, r, j));
                final FloatVector ms = FloatVector.broadcast(F8, dmin * minOf(m, groupAt, blocks, r, j));
                for (int t = 0; t < 4; t++) {
                    final IntVector e = IntVector.broadcast(I8, m.get(I32, groupAt + 128L * j + 32L * t + 4L * r))
                            .lanewise(VectorOperators.LSHR, shifts).and(0xF);
                    ((FloatVector) e.convertShape(VectorOperators.I2F, F8, 0)).mul(ds).sub(ms)
                            .intoArray(dst, off + 32 * j + 8 * t);
                }
            }
        }
    }
}
