package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights repacked eight rows at a time ({@link RowGroups}). Per super-block of 256 columns a group holds
 * 1152 bytes, as its eight plain rows do:
 * <ul>
 *   <li>bytes 0-1023: the eight sub-blocks s of 32 columns, 128 bytes each, laid out as a {@link Q4_0Interleaved}
 *       block (four parts; short lane 2r+p of part t holds row r's nibbles of elements 8t+2k+p, k = 0..3);</li>
 *   <li>1024-1039: the rows' f16 d; 1040-1055: their f16 dmin;</li>
 *   <li>1056-1119: for each s, eight bytes (row r at 1056+8s+r): the low four bits of scale s, and of min s above
 *       them;</li>
 *   <li>1120-1151: per row an int (at 1120+4r) holding the top two bits of scale s at bits 4s and of min s at 4s+2.</li>
 * </ul>
 *
 * <p>Per sub-block the kernel sums nibble × level in 16-bit lanes (at most 16·15·127 per lane) and adds each row's
 * two lanes sign-extended to 32 bits: Σq·x exactly. Then, per row and
 * super-block, sumi = Σ scale·Σq·x and summ = Σ min·Σx in ints, and {@code acc = fma(sumi, d·dx, acc)},
 * {@code acc = fma(summ, dmin·(−dx), acc)}, which {@link #dotRow} and {@link #dotPlainRow} repeat exactly.
 */
public final class Q4_KInterleaved implements RowGroups {

    public static final Q4_KInterleaved INSTANCE = new Q4_KInterleaved();

    private static final int QK = 256;
    private static final int BLOCK = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    /** Bytes of one super-block of a group. */
    public static final int GROUP_BLOCK_BYTES = ROWS * BLOCK;
    private static final int D = 1024;
    private static final int DMIN = 1040;
    private static final int LOW = 1056;
    private static final int HIGH = 1120;

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

    @Override
    public void pack(MemorySegment src, long srcOff, long srcRowBytes, int rows, int cols, MemorySegment dst,
                     long dstOff) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final int blocks = cols / QK;
        final long rowBytes = (long) blocks * BLOCK;
        final int groups = rows / ROWS;
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                final long to = dstOff + (long) g * ROWS * rowBytes + (long) b * GROUP_BLOCK_BYTES;
                for (int r = 0; r < ROWS; r++) {
                    final long from = srcOff + ((long) g * ROWS + r) * srcRowBytes + (long) b * BLOCK;
                    dst.set(I16, to + D + 2L * r, src.get(I16, from));
                    dst.set(I16, to + DMIN + 2L * r, src.get(I16, from + 2));
                    final long low = KScales.low(src, from + SCALES);
                    final int high = KScales.high(src, from + SCALES);
                    int top = 0;
                    for (int s = 0; s < 8; s++) {
                        final int sc = KScales.scale(low, high, s);
                        final int mn = KScales.min(low, high, s);
                        dst.set(ValueLayout.JAVA_BYTE, to + LOW + 8L * s + r, (byte) ((sc & 15) | (mn & 15) << 4));
                        top |= ((sc >>> 4) | (mn >>> 4) << 2) << (4 * s);
                        // sub-block s is the low (s even) or high nibbles of the 32 bytes of chunk s/2
                        for (int t = 0; t < 4; t++) {
                            final long bytes = src.get(I64, from + QS + 32L * (s >> 1) + 8L * t) >>> (4 * (s & 1));
                            dst.set(I32, to + 128L * s + 32L * t + 4L * r, Q4_0Interleaved.partOfRow(bytes));
                        }
                    }
                    dst.set(I32, to + HIGH + 4L * r, top);
                }
            }
        }
        for (int r = groups * ROWS; r < rows; r++) {
            MemorySegment.copy(src, srcOff + r * srcRowBytes, dst, dstOff + r * rowBytes, rowBytes);
        }
    }

    /**
     * {@link QuantizedActivations#broadcastShortArray}'s layout of the n levels at {@code levels[from..]}: each pair
     * (q[2i], q[2i+1]) written out sixteen shorts wide, the operand this kernel loads whole for its multiplies.
     */
    static void broadcastShorts(float[] levels, int from, int n, short[] dst, int dstOff) {
        for (int i = 0; i < n / 2; i++) {
            final int pair = ((int) levels[from + 2 * i] & 0xFFFF) | ((int) levels[from + 2 * i + 1] << 16);
            IntVector.broadcast(I8, pair).reinterpretAsShorts().intoArray(dst, dstOff + 16 * i);
        }
    }

    @Override
    public long groupOffset(int g, int cols) {
        return (long) g * ROWS * GgmlType.Q4_K.bytesFor(cols);
    }

    @Override
    public void dotGroups(MemorySegment m, long base, QuantizedActivations a, int row, int cols, int g0, int g1,
                          float[] out, int outOff) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final short[] xs = a.broadcastShortArray();
        final int[] sub = a.subBlockSumArray();
        final float[] dx = a.scaleArray();
        final int blocks = cols / QK;
        final int bo = row * a.blocksPerRow();
        final int xsBase = a.broadcastShortOffset(row);
        final long groupBytes = (long) ROWS * blocks * BLOCK;
        for (int g = g0; g < g1; g++) {
            group(m, base + g * groupBytes, xs, xsBase, sub, dx, bo, blocks, out, outOff + ROWS * (g - g0));
        }
    }

    /**
     * One group. The sub-block loop stays a loop (its body is large; written out eight times it would exceed C2's
     * inlining budget); its four parts are written out, as in {@link Q4_0Interleaved}, so the multiplies read the
     * broadcast activation pairs straight from memory.
     */
    private static void group(MemorySegment m, long at0, short[] xs, int xsBase, int[] sub, float[] dx, int bo,
                              int blocks, float[] out, int o) {
        // the eight rows' sums live in out, not in a vector carried round the block loop: such a vector has no
        // exact class when C2 parses the loop, and in some JVMs C2 left it boxed, two allocations per block
        // (DecodeAllocationTest); an L1 load and store per 1152-byte block costs nothing
        FloatVector.zero(F8).intoArray(out, o);
        final FloatVector f16Bias = FloatVector.broadcast(F8, 0x1p112f);
        for (int b = 0; b < blocks; b++) {
            final long at = at0 + (long) GROUP_BLOCK_BYTES * b;
            final IntVector high = IntVector.fromMemorySegment(I8, m, at + HIGH, LE);
            IntVector sumi = IntVector.zero(I8);
            IntVector summ = IntVector.zero(I8);
            for (int s = 0; s < 8; s++) {
                final long sb = at + 128L * s;
                final int xb = xsBase + 256 * (8 * b + s);
                final int ss = sub[8 * (bo + b) + QuantizedActivations.subBlockSlot(s)];
                final ShortVector v0 = ShortVector.fromMemorySegment(S16, m, sb, LE);
                final IntVector w0 = v0.reinterpretAsInts();
                final ShortVector s0 = v0.and((short) 0xF).mul(ShortVector.fromArray(S16, xs, xb))
                        .add(w0.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 16)))
                        .add(w0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 32)))
                        .add(v0.lanewise(VectorOperators.LSHR, 12)
                                .mul(ShortVector.fromArray(S16, xs, xb + 48)));
                final ShortVector v1 = ShortVector.fromMemorySegment(S16, m, sb + 32, LE);
                final IntVector w1 = v1.reinterpretAsInts();
                final ShortVector s1 = v1.and((short) 0xF).mul(ShortVector.fromArray(S16, xs, xb + 64))
                        .add(w1.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 80)))
                        .add(w1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 96)))
                        .add(v1.lanewise(VectorOperators.LSHR, 12)
                                .mul(ShortVector.fromArray(S16, xs, xb + 112)));
                final ShortVector v2 = ShortVector.fromMemorySegment(S16, m, sb + 64, LE);
                final IntVector w2 = v2.reinterpretAsInts();
                final ShortVector s2 = v2.and((short) 0xF).mul(ShortVector.fromArray(S16, xs, xb + 128))
                        .add(w2.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 144)))
                        .add(w2.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 160)))
                        .add(v2.lanewise(VectorOperators.LSHR, 12)
                                .mul(ShortVector.fromArray(S16, xs, xb + 176)));
                final ShortVector v3 = ShortVector.fromMemorySegment(S16, m, sb + 96, LE);
                final IntVector w3 = v3.reinterpretAsInts();
                final ShortVector s3 = v3.and((short) 0xF).mul(ShortVector.fromArray(S16, xs, xb + 192))
                        .add(w3.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 208)))
                        .add(w3.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                                .mul(ShortVector.fromArray(S16, xs, xb + 224)))
                        .add(v3.lanewise(VectorOperators.LSHR, 12)
                                .mul(ShortVector.fromArray(S16, xs, xb + 240)));
                // each lane holds 16 products q·x, |Σ| ≤ 16·15·128 < 2^15: its two lanes sign-extended and summed,
                // Σq·x per row exactly (shifts and an add, no broadcast and no 32-bit multiply)
                final IntVector pair = s0.add(s1).add(s2.add(s3)).reinterpretAsInts();
                final IntVector qx = pair.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(pair.lanewise(VectorOperators.ASHR, 16));
                final IntVector lowBits = (IntVector) ByteVector.fromMemorySegment(B8, m, at + LOW + 8L * s, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
                final IntVector top = high.lanewise(VectorOperators.LSHR, 4 * s);
                final IntVector scale = lowBits.and(15).or(top.lanewise(VectorOperators.LSHL, 4).and(0x30));
                final IntVector min = lowBits.lanewise(VectorOperators.LSHR, 4)
                        .or(top.lanewise(VectorOperators.LSHL, 2).and(0x30));
                sumi = scale.mul(qx).add(sumi);
                summ = min.mul(ss).add(summ);
            }
            // d and dmin of the eight rows, f16 → f32 exactly as in Q4_0Interleaved's kernel (written out here: a
            // helper returning a vector, compiled on its own, would box it)
            final float x = dx[bo + b];
            final FloatVector d = ((IntVector) ShortVector.fromMemorySegment(S8, m, at + D, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias);
            final FloatVector dmin = ((IntVector) ShortVector.fromMemorySegment(S8, m, at + DMIN, LE)
                    .convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(f16Bias);
            final FloatVector rows = ((FloatVector) sumi.convertShape(VectorOperators.I2F, F8, 0))
                    .fma(d.mul(x), FloatVector.fromArray(F8, out, o));
            ((FloatVector) summ.convertShape(VectorOperators.I2F, F8, 0)).fma(dmin.mul(-x), rows).intoArray(out, o);
        }
    }

    @Override
    public float dotRow(MemorySegment m, long groupAt, int r, QuantizedActivations a, int row, int cols) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float acc = 0f;
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) GROUP_BLOCK_BYTES * b;
            final int top = m.get(I32, at + HIGH + 4L * r);
            int sumi = 0;
            int summ = 0;
            for (int s = 0; s < 8; s++) {
                int qx = 0;
                for (int j = 0; j < 32; j++) {
                    qx += nibbleAt(m, at + 128L * s, r, j) * (int) x[xo + QK * b + 32 * s + j];
                }
                final int lowBits = m.get(ValueLayout.JAVA_BYTE, at + LOW + 8L * s + r) & 0xFF;
                sumi += ((lowBits & 15) | ((top >>> (4 * s)) & 3) << 4) * qx;
                summ += ((lowBits >>> 4) | ((top >>> (4 * s + 2)) & 3) << 4) * (a.groupSum(row, b, 2 * s) + a.groupSum(row, b, 2 * s + 1));
            }
            final float dx = a.scale(row, b);
            acc = Math.fma((float) sumi, BlockIo.f16(m, at + D + 2L * r) * dx, acc);
            acc = Math.fma((float) summ, BlockIo.f16(m, at + DMIN + 2L * r) * -dx, acc);
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
                for (int j = 0; j < 32; j++) {
                    final int q = (BlockIo.u8(m, at + QS + 32L * (s >> 1) + j) >>> (4 * (s & 1))) & 0xF;
                    qx += q * (int) x[xo + QK * b + 32 * s + j];
                }
                sumi += KScales.scale(low, high, s) * qx;
                summ += KScales.min(low, high, s) * (a.groupSum(row, b, 2 * s) + a.groupSum(row, b, 2 * s + 1));
            }
            final float dx = a.scale(row, b);
            acc = Math.fma((float) sumi, BlockIo.f16(m, at) * dx, acc);
            acc = Math.fma((float) summ, BlockIo.f16(m, at + 2) * -dx, acc);
        }
        return acc;
    }

    /** The nibble (0..15) of row r's element j of the 128-byte sub-block at {@code at}. */
    private static int nibbleAt(MemorySegment m, long at, int r, int j) {
        final int lane = 2 * r + (j & 1);
        return (m.get(I16, at + 32L * (j >> 3) + 2L * lane) >>> (4 * ((j & 7) >> 1))) & 0xF;
    }

    /**
     * Row r as floats: per sub-block {@code (d·scale)·q − dmin·min}, the plain kernel's operations; the eight
     * elements of a part come out in order as in {@link Q4_0Interleaved#dequantizeRow}.
     */
    @Override
    public void dequantizeRow(MemorySegment m, long groupAt, int r, int cols, float[] dst, int off) {
        BlockIo.checkBlocks(GgmlType.Q4_K, cols);
        final IntVector shifts = IntVector.fromArray(I8, Q4_0Interleaved.ELEMENT_SHIFTS, 0);
        for (int b = 0; b < cols / QK; b++) {
            final long at = groupAt + (long) GROUP_BLOCK_BYTES * b;
            final float d = BlockIo.f16(m, at + D + 2L * r);
            final float dmin = BlockIo.f16(m, at + DMIN + 2L * r);
            final int top = m.get(I32, at + HIGH + 4L * r);
            for (int s = 0; s < 8; s++) {
                final int lowBits = m.get(ValueLayout.JAVA_BYTE, at + LOW + 8L * s + r) & 0xFF;
                final FloatVector ds = FloatVector.broadcast(F8, d * ((lowBits & 15) | ((top >>> (4 * s)) & 3) << 4));
                final FloatVector ms =
                        FloatVector.broadcast(F8, dmin * ((lowBits >>> 4) | ((top >>> (4 * s + 2)) & 3) << 4));
                for (int t = 0; t < 4; t++) {
                    final IntVector e = IntVector.broadcast(I8, m.get(I32, at + 128L * s + 32L * t + 4L * r))
                            .lanewise(VectorOperators.LSHR, shifts).and(0xF);
                    ((FloatVector) e.convertShape(VectorOperators.I2F, F8, 0)).mul(ds).sub(ms)
                            .intoArray(dst, off + QK * b + 32 * s + 8 * t);
                }
            }
        }
    }
}
