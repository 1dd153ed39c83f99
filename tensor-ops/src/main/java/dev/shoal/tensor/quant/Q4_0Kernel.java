package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;
import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.G;
import static dev.shoal.tensor.quant.Lanes.INT16;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0: blocks of 32, 18 bytes = {f16 d; u8 qs[16]}. The low nibble of qs[j] is element j, the high nibble
 * element j+16; value = (nibble - 8)*d.
 */
final class Q4_0Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 18;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    /** Two blocks' 16 packed bytes each, as 16 shorts (256-bit path of {@link #dotQuantized2}). */
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    /**
     * The upper 4 lanes of such a vector's sums: the second block's, so its scale goes there (one accumulator per row,
     * not one per row and block).
     */
    private static final VectorMask<Float> SECOND_BLOCK_SUMS = VectorMask.fromLong(FloatVector.SPECIES_256, 0xF0L);

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            int y = dstOff + QK * b;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 2 + j);
                dst[y + j] = ((q & 0xF) - 8) * d;
                dst[y + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            int xb = xOff + QK * b;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 2 + (j & 15));
                sum += (((j < 16 ? q : q >>> 4) & 0xF) - 8) * d * x[xb + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                ByteVector lo = q.and((byte) 0xF).sub((byte) 8);
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(lo, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                    s = Lanes.toFloats(hi, p).fma(FloatVector.fromArray(F, x, xb + 16 + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16Lookup(src, at)).fma(s, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16Lookup(src, at));
            final int y = dstOff + QK * b;
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                ByteVector lo = q.and((byte) 0xF).sub((byte) 8);
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    Lanes.toFloats(lo, p).mul(d).intoArray(dst, y + g + p * L);
                    Lanes.toFloats(hi, p).mul(d).intoArray(dst, y + 16 + g + p * L);
                }
            }
        }
    }

    @Override
    public ActivationType activationType() {
        return ActivationType.Q8_0;
    }

    @Override
    public float dotQuantizedScalar(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xo + QK * b;
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 2 + j);
                sumi += ((q & 0xF) - 8) * (int) x[xb + j] + ((q >>> 4) - 8) * (int) x[xb + j + 16];
            }
            sum += sumi * (BlockIo.f16(src, at) * a.scale(row, b));
        }
        return sum;
    }

    /**
     * Per block Σ(nibble-8)·x on levels (exact), then a multiply by dx and one FMA with d. High nibbles are not
     * shifted down (a byte shift costs a widen/shift/narrow on x86): (q & 0xF0) ^ 0x80 is 16·(nibble-8) as a
     * signed byte, so they go to their own accumulator, scaled by 1/16 (exactly) at the end.
     */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        if (INT16) {
            final short[] xs = a.pairLevelArray();
            final short[] x8 = a.nibbleOffsetArray();
            final float[] dx = a.scaleArray();
            final int xo = a.offset(row);
            final int so = row * a.blocksPerRow();
            FloatVector acc = FloatVector.zero(F4);
            for (int b = 0; b < n / QK; b++) {
                final long at = offset + (long) BLOCK * b;
                final float d = BlockIo.f16(src, at) * dx[so + b];
                acc = ((FloatVector) nibbleSums(src, at, xs, x8, xo + QK * b).convertShape(VectorOperators.I2F, F4, 0))
                        .fma(FloatVector.broadcast(F4, d), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final int xb = xo + QK * b;
            FloatVector s = FloatVector.zero(F);
            FloatVector sHi = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                ByteVector lo = q.and((byte) 0xF).sub((byte) 8);
                ByteVector hi16 = q.and((byte) 0xF0).lanewise(VectorOperators.XOR, (byte) 0x80);
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(lo, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                    sHi = Lanes.toFloats(hi16, p).fma(FloatVector.fromArray(F, x, xb + 16 + g + p * L), sHi);
                }
            }
            // (Σ·dx)·d rather than Σ·(d·dx): d is broadcast from memory, not through a scalar multiply
            // (BlockIo.f16Lookup)
            final FloatVector dxv = FloatVector.broadcast(F, dx[so + b]);
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16Lookup(src, at));
            acc = dxv.mul(s).fma(d, acc);
            accHi = dxv.mul(sHi).fma(d, accHi);
        }
        return FloatVector.broadcast(F, 1f / 16).fma(accHi, acc).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Two rows against the same activations, with fewer operations per block than {@link #dotQuantized}: the low
     * nibbles go in as they are (0..15), their −8 folded into each row's chain as its start value −8·Σx of the
     * block's first half (computed once per block for both rows, in any lanes: they are summed at the end); the
     * high nibbles as the signed byte 16·(nibble−8) against x/16 (exact). One chain per row, no second
     * accumulator; every partial sum is a multiple of 1/16 far below 2^24, so exact like the one-row kernel.
     * (1 GiB mat-vec, 1 core, 512-bit: 4.5 → 5.25 GB/s; from L2 6.1 → 6.9. Unsigned high nibbles, which need a
     * zero-extending conversion, were no faster at 512 bits and slower at 256.)
     *
     * <p>On 256-bit vectors it works in 16-bit integers instead, two blocks of a row per vector: see the comments in
     * the body and {@link QuantizedActivations#blockPairLevelArray} (Zen 3, {@code KernelSpeedCheck Q4_0} median
     * 3.8 → 4.2–5.2 GB/s against one block per 128-bit vector).
     */
    @Override
    public void dotQuantized2(MemorySegment src, long offA, long offB, QuantizedActivations a, int row, int n,
                              float[] out, int outA, int outB) {
        if (PARTS == 2) {
            // 128-bit vectors (two parts per byte group): two rows' worth crossed C2's inlining budget and boxed
            // the vectors (5× slower); one row at a time stays within it
            out[outA] = dotQuantized(src, offA, a, row, n);
            out[outB] = dotQuantized(src, offB, a, row, n);
            return;
        }
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        if (INT16) {
            final short[] xq = a.blockPairLevelArray();
            final short[] x8 = a.nibbleOffsetArray();
            final float[] dx = a.scaleArray();
            final int xo = a.offset(row);
            final int so = row * a.blocksPerRow();
            final int blocks = n / QK;
            final VectorMask<Short> second = S16.indexInRange(-8, 8);
            FloatVector accA = FloatVector.zero(F);
            FloatVector accB = FloatVector.zero(F);
            // over block pairs, with every array index affine in the pair (xo is a whole number of blocks, so
            // xb / 4 = xo / 4 + 8b): C2 then hoists the range checks out of the loop; with b += 2 up to
            // b + 1 < blocks and xb / 4 it kept 13 compare-and-branch pairs in the 151-instruction loop (hsdis). The
            // byte offset likewise: as (2·BLOCK)·pair the weight segment's checks are hoisted too, as 18·(long) b
            // they stayed in the loop (127 → 100 instructions)
            final int pairs = blocks / 2;
            final int xo4 = xo / 4;
            for (int pair = 0; pair < pairs; pair++) {
                final int b = 2 * pair;
                final long blk = (2L * BLOCK) * pair;
                final int xb = xo + QK * b;
                final ShortVector x0 = ShortVector.fromArray(S16, xq, xb);
                final ShortVector x1 = ShortVector.fromArray(S16, xq, xb + 16);
                final ShortVector x2 = ShortVector.fromArray(S16, xq, xb + 32);
                final ShortVector x3 = ShortVector.fromArray(S16, xq, xb + 48);
                final ShortVector off = ShortVector.fromArray(S16, x8, xo4 + 8 * b);
                // the scales first: C2 inlines in bytecode order, and past its node budget (the vector code below
                // uses most of it) even f16Lookup would stay a call
                final float dq0 = dx[so + b];
                final float dq1 = dx[so + b + 1];
                final float dA0 = BlockIo.f16Lookup(src, offA + blk) * dq0;
                final float dA1 = BlockIo.f16Lookup(src, offA + blk + BLOCK) * dq1;
                final float dB0 = BlockIo.f16Lookup(src, offB + blk) * dq0;
                final float dB1 = BlockIo.f16Lookup(src, offB + blk + BLOCK) * dq1;
                final ShortVector vA = ShortVector.fromMemorySegment(S16, src, offA + blk + 2, LE)
                        .blend(ShortVector.fromMemorySegment(S16, src, offA + blk + 4, LE), second);
                final IntVector wA = vA.reinterpretAsInts();
                final IntVector pA = vA.and((short) 0xF).mul(x0)
                        .add(wA.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).mul(x1))
                        .add(wA.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF).mul(x2))
                        .add(wA.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().and((short) 0xF).mul(x3))
                        .sub(off).reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16);
                final FloatVector fA = (FloatVector) pA.convertShape(VectorOperators.I2F, Lanes.F8, 0);
                accA = fA.fma(FloatVector.broadcast(F, dA0).blend(FloatVector.broadcast(F, dA1), SECOND_BLOCK_SUMS),
                        accA);
                final ShortVector vB = ShortVector.fromMemorySegment(S16, src, offB + blk + 2, LE)
                        .blend(ShortVector.fromMemorySegment(S16, src, offB + blk + 4, LE), second);
                final IntVector wB = vB.reinterpretAsInts();
                final IntVector pB = vB.and((short) 0xF).mul(x0)
                        .add(wB.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).mul(x1))
                        .add(wB.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF).mul(x2))
                        .add(wB.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().and((short) 0xF).mul(x3))
                        .sub(off).reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16);
                final FloatVector fB = (FloatVector) pB.convertShape(VectorOperators.I2F, Lanes.F8, 0);
                accB = fB.fma(FloatVector.broadcast(F, dB0).blend(FloatVector.broadcast(F, dB1), SECOND_BLOCK_SUMS),
                        accB);
            }
            float sumA = accA.reduceLanes(VectorOperators.ADD);
            float sumB = accB.reduceLanes(VectorOperators.ADD);
            if (blocks % 2 == 1) {
                final int b = blocks - 1;
                final long blk = (long) BLOCK * b;
                final short[] xs = a.pairLevelArray();
                sumA += nibbleSums(src, offA + blk, xs, x8, xo + QK * b).reduceLanes(VectorOperators.ADD)
                        * (BlockIo.f16(src, offA + blk) * dx[so + b]);
                sumB += nibbleSums(src, offB + blk, xs, x8, xo + QK * b).reduceLanes(VectorOperators.ADD)
                        * (BlockIo.f16(src, offB + blk) * dx[so + b]);
            }
            out[outA] = sumA;
            out[outB] = sumB;
            return;
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        final FloatVector minus8 = FloatVector.broadcast(F, -8f);
        final FloatVector sixteenth = FloatVector.broadcast(F, 1f / 16);
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long atA = offA + (long) BLOCK * b;
            final long atB = offB + (long) BLOCK * b;
            final int xb = xo + QK * b;
            FloatVector xLow = FloatVector.fromArray(F, x, xb);
            for (int c = 1; c < 16 / L; c++) {
                xLow = FloatVector.fromArray(F, x, xb + c * L).add(xLow);
            }
            FloatVector sA = xLow.mul(minus8);
            FloatVector sB = sA;
            for (int g = 0; g < 16; g += G) {
                final ByteVector qA = ByteVector.fromMemorySegment(B, src, atA + 2 + g, LE);
                final ByteVector loA = qA.and((byte) 0xF);
                final ByteVector hiA = qA.and((byte) 0xF0).lanewise(VectorOperators.XOR, (byte) 0x80);
                final ByteVector qB = ByteVector.fromMemorySegment(B, src, atB + 2 + g, LE);
                final ByteVector loB = qB.and((byte) 0xF);
                final ByteVector hiB = qB.and((byte) 0xF0).lanewise(VectorOperators.XOR, (byte) 0x80);
                for (int p = 0; p < PARTS; p++) {
                    final FloatVector xl = FloatVector.fromArray(F, x, xb + g + p * L);
                    final FloatVector xh = FloatVector.fromArray(F, x, xb + 16 + g + p * L).mul(sixteenth);
                    sA = Lanes.toFloats(hiA, p).fma(xh, Lanes.toFloats(loA, p).fma(xl, sA));
                    sB = Lanes.toFloats(hiB, p).fma(xh, Lanes.toFloats(loB, p).fma(xl, sB));
                }
            }
            // (Σ·dx)·d rather than Σ·(d·dx): d is broadcast from memory, not through a scalar multiply
            // (BlockIo.f16Lookup)
            final FloatVector dxv = FloatVector.broadcast(F, dx[so + b]);
            accA = dxv.mul(sA).fma(FloatVector.broadcast(F, BlockIo.f16Lookup(src, atA)), accA);
            accB = dxv.mul(sB).fma(FloatVector.broadcast(F, BlockIo.f16Lookup(src, atB)), accB);
        }
        out[outA] = accA.reduceLanes(VectorOperators.ADD);
        out[outB] = accB.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Σ(n−8)·q of one block (n = the stored nibble) as 4 int lanes, in 16-bit integer arithmetic on 128-bit vectors;
     * 256-bit vectors only, where the Q8_0 activations carry their 16-bit layouts. The 16 packed bytes are read as 8
     * shorts: lane k holds bytes 2k and 2k+1, so three shifts (of the vector read as ints: C2 gives int shifts an
     * immediate count, 16-bit ones a register count loaded each time) and a mask per short give elements 2k, 2k+16,
     * 2k+1 and 2k+17 — the halves of the block's even levels and of its odd ones in
     * {@link QuantizedActivations#pairLevelArray}.
     * The −8 of those four comes off lane k at once ({@link QuantizedActivations#nibbleOffsetArray}), so each lane
     * holds exactly what subtracting per nibble would give (a block with one non-zero level matches the scalar
     * reference bit for bit), |·| ≤ 4·15·127 + 4·8·127 &lt; 2^15. Read as 4 ints, lane i = hi·2^16 + lo
     * (lo unsigned); times 2^16+1 that is (lo + hi)·2^16 + lo modulo 2^32, whose upper half read signed is the two
     * lanes' sum (congruent modulo 2^16, and |·| ≤ 2·4·8·127 &lt; 2^15): a multiply and a shift where separating the
     * halves takes three shifts and an add. (Not in Q8_0's {@code widenedSums}: two of its lanes can sum past 2^15.)
     * On Zen 3 the kernel ran at 3.8–5.2 GB/s where widening nibbles to floats ran at 2.4–2.5
     * ({@code KernelSpeedCheck Q4_0}, median); with the −8 per nibble, 3.3–4.0.
     */
    private static IntVector nibbleSums(MemorySegment src, long at, short[] xs, short[] x8, int xb) {
        final ShortVector v = ShortVector.fromMemorySegment(S8, src, at + 2, LE);
        final IntVector w = v.reinterpretAsInts();
        final IntVector p = v.and((short) 0xF).mul(ShortVector.fromArray(S8, xs, xb))
                .add(w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF)
                        .mul(ShortVector.fromArray(S8, xs, xb + 8)))
                .add(w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().and((short) 0xF)
                        .mul(ShortVector.fromArray(S8, xs, xb + 16)))
                .add(w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts().and((short) 0xF)
                        .mul(ShortVector.fromArray(S8, xs, xb + 24)))
                .sub(ShortVector.fromArray(S8, x8, xb / 4))
                .reinterpretAsInts();
        return p.mul(0x10001).lanewise(VectorOperators.ASHR, 16);
    }

    /** ggml's {@code quantize_row_q4_0_ref}: d = -max/8 where max is the value of largest magnitude. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q4_0, n);
        for (int b = 0; b < n / QK; b++) {
            int xb = srcOff + QK * b;
            long at = offset + (long) BLOCK * b;
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = src[xb + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (src[xb + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (src[xb + 16 + j] * id + 8.5f));
                BlockIo.putU8(dst, at + 2 + j, q0 | (q1 << 4));
            }
        }
    }
}
