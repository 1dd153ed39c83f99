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
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Q8_0: blocks of 32, 34 bytes = {f16 d; i8 qs[32]}, value = qs[i]*d. */
final class Q8_0Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 34;
    /**
     * Decode in 16-bit integers ({@link #widenedSums}) where vectors are 256 bits: a block's two 16-byte halves widen
     * to 16 shorts each. 512-bit and 128-bit vectors keep the float path: no machine of either width was at hand to
     * measure this one against it (KernelAgreementTest still runs it there, in a child JVM forced to 256 bits).
     */
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            for (int j = 0; j < QK; j++) {
                dst[dstOff + QK * b + j] = BlockIo.i8(src, at + 2 + j) * d;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            for (int j = 0; j < QK; j++) {
                sum += BlockIo.i8(src, at + 2 + j) * d * x[xOff + QK * b + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < QK; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at)).fma(s, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16(src, at));
            final int y = dstOff + QK * b;
            for (int g = 0; g < QK; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                for (int p = 0; p < PARTS; p++) {
                    Lanes.toFloats(q, p).mul(d).intoArray(dst, y + g + p * L);
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
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int sumi = 0;
            for (int j = 0; j < QK; j++) {
                sumi += BlockIo.i8(src, at + 2 + j) * (int) x[xo + QK * b + j];
            }
            sum += sumi * (BlockIo.f16(src, at) * a.scale(row, b));
        }
        return sum;
    }

    /** Per block Σq·x on levels (exact), then one FMA with d·dx. */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        if (INT16) {
            final short[] xs = a.shortLevelArray();
            final float[] dx = a.scaleArray();
            final int xo = a.offset(row);
            final int so = row * a.blocksPerRow();
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / QK; b++) {
                final long at = offset + (long) BLOCK * b;
                acc = ((FloatVector) widenedSums(src, at, xs, xo + QK * b)
                        .convertShape(VectorOperators.I2F, Lanes.F8, 0))
                        .fma(FloatVector.broadcast(F, BlockIo.f16(src, at) * dx[so + b]), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final int xb = xo + QK * b;
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < QK; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2 + g, LE);
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at) * dx[so + b]).fma(s, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dotQuantized} of two rows: the four-row kernel's body for two. {@link #dotQuantized4} runs two of these
     * on 128-bit vectors, where four rows exceed C2's budget; 256-bit vectors take {@code dotQuantized4x16} instead.
     */
    @Override
    public void dotQuantized2(MemorySegment src, long offA, long offB, QuantizedActivations a, int row, int n,
                              float[] out, int outA, int outB) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        if (INT16) {
            final short[] xs = a.shortLevelArray();
            final float[] dx = a.scaleArray();
            final int xo = a.offset(row);
            final int so = row * a.blocksPerRow();
            FloatVector accA = FloatVector.zero(F);
            FloatVector accB = FloatVector.zero(F);
            for (int b = 0; b < n / QK; b++) {
                final long blk = (long) BLOCK * b;
                final int xb = xo + QK * b;
                final float d = dx[so + b];
                accA = ((FloatVector) widenedSums(src, offA + blk, xs, xb)
                        .convertShape(VectorOperators.I2F, Lanes.F8, 0))
                        .fma(FloatVector.broadcast(F, BlockIo.f16(src, offA + blk) * d), accA);
                accB = ((FloatVector) widenedSums(src, offB + blk, xs, xb)
                        .convertShape(VectorOperators.I2F, Lanes.F8, 0))
                        .fma(FloatVector.broadcast(F, BlockIo.f16(src, offB + blk) * d), accB);
            }
            out[outA] = accA.reduceLanes(VectorOperators.ADD);
            out[outB] = accB.reduceLanes(VectorOperators.ADD);
            return;
        }
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = xo + QK * b;
            final float d = dx[so + b];
            FloatVector sA = FloatVector.zero(F);
            for (int g = 0; g < QK; g += G) {
                final ByteVector q = ByteVector.fromMemorySegment(B, src, offA + blk + 2 + g, LE);
                sA = Lanes.toFloats(q, 0).fma(FloatVector.fromArray(F, x, xb + g), sA);
                if (PARTS == 2) {
                    sA = Lanes.toFloats(q, 1).fma(FloatVector.fromArray(F, x, xb + g + L), sA);
                }
            }
            accA = FloatVector.broadcast(F, BlockIo.f16(src, offA + blk) * d).fma(sA, accA);
            FloatVector sB = FloatVector.zero(F);
            for (int g = 0; g < QK; g += G) {
                final ByteVector q = ByteVector.fromMemorySegment(B, src, offB + blk + 2 + g, LE);
                sB = Lanes.toFloats(q, 0).fma(FloatVector.fromArray(F, x, xb + g), sB);
                if (PARTS == 2) {
                    sB = Lanes.toFloats(q, 1).fma(FloatVector.fromArray(F, x, xb + g + L), sB);
                }
            }
            accB = FloatVector.broadcast(F, BlockIo.f16(src, offB + blk) * d).fma(sB, accB);
        }
        out[outA] = accA.reduceLanes(VectorOperators.ADD);
        out[outB] = accB.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dotQuantized4(MemorySegment src, long offset, long stride, QuantizedActivations a, int row, int n,
                              float[] out, int outAt, int outStride) {
        if (INT16) {
            dotQuantized4x16(src, offset, stride, a, row, n, out, outAt, outStride);
            return;
        }
        if (L < 16) {
            // 128-bit vectors: two parts per byte group, and four rows' worth of them crossed C2's inlining budget
            // (vectors boxed, 5× slower); two pairs stay within it. 256-bit takes the 16-bit body above; 512-bit
            // keeps four float rows, faster there
            dotQuantized2(src, offset, offset + stride, a, row, n, out, outAt, outAt + outStride);
            dotQuantized2(src, offset + 2 * stride, offset + 3 * stride, a, row, n, out, outAt + 2 * outStride,
                    outAt + 3 * outStride);
            return;
        }
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        final long o0 = offset;
        final long o1 = offset + stride;
        final long o2 = offset + 2 * stride;
        final long o3 = offset + 3 * stride;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = xo + QK * b;
            final float d = dx[so + b];
            acc0 = block(src, o0 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(src, o0 + blk) * d), acc0);
            acc1 = block(src, o1 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(src, o1 + blk) * d), acc1);
            acc2 = block(src, o2 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(src, o2 + blk) * d), acc2);
            acc3 = block(src, o3 + blk, x, xb).fma(FloatVector.broadcast(F, BlockIo.f16(src, o3 + blk) * d), acc3);
        }
        out[outAt] = acc0.reduceLanes(VectorOperators.ADD);
        out[outAt + outStride] = acc1.reduceLanes(VectorOperators.ADD);
        out[outAt + 2 * outStride] = acc2.reduceLanes(VectorOperators.ADD);
        out[outAt + 3 * outStride] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dotQuantized4} in 16-bit integers (256-bit vectors): {@link #widenedSums}' body for four rows in one
     * loop, written out (a helper returning a vector is boxed once C2 runs out of inlining budget), with the four
     * weight scales looked up first for the same reason (C2 inlines in bytecode order, and past its node budget even
     * {@link BlockIo#f16Lookup} stays a call). Four rows from the matrix's four quarters keep four memory streams
     * going. On Zen 3 it replaced two calls of {@link #dotQuantized2}'s pair body (1B Q8_0 decode, alternating runs:
     * one core 5.2-5.6 → 6.0-7.2 tok/s, two 9.2-10.1 → 11.0-11.3). Its loop is 94 instructions with the four
     * accumulators in registers; the even/odd body it replaced in session 14 (a block read as 16 shorts, each byte
     * sign-extended by shifts, which C2 emits with their count moved into a vector register every time) was 120,
     * with the accumulators spilled to the stack: one core 7.3 → 7.7 tok/s, two 12.2 → 12.9 (medians of 6 and 4
     * alternating runs).
     */
    private static void dotQuantized4x16(MemorySegment src, long offset, long stride, QuantizedActivations a, int row,
                                         int n, float[] out, int outAt, int outStride) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        final short[] xs = a.shortLevelArray();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        final long o0 = offset;
        final long o1 = offset + stride;
        final long o2 = offset + 2 * stride;
        final long o3 = offset + 3 * stride;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long blk = (long) BLOCK * b;
            final int xb = xo + QK * b;
            final float d = dx[so + b];
            final float d0 = BlockIo.f16Lookup(src, o0 + blk) * d;
            final float d1 = BlockIo.f16Lookup(src, o1 + blk) * d;
            final float d2 = BlockIo.f16Lookup(src, o2 + blk) * d;
            final float d3 = BlockIo.f16Lookup(src, o3 + blk) * d;
            final ShortVector xl = ShortVector.fromArray(S16, xs, xb);
            final ShortVector xh = ShortVector.fromArray(S16, xs, xb + 16);
            final IntVector p0 = ((ShortVector) ByteVector.fromMemorySegment(B16, src, o0 + blk + 2, LE)
                    .convertShape(VectorOperators.B2S, S16, 0)).mul(xl)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B16, src, o0 + blk + 18, LE)
                            .convertShape(VectorOperators.B2S, S16, 0)).mul(xh)).reinterpretAsInts();
            acc0 = ((FloatVector) p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p0.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, d0), acc0);
            final IntVector p1 = ((ShortVector) ByteVector.fromMemorySegment(B16, src, o1 + blk + 2, LE)
                    .convertShape(VectorOperators.B2S, S16, 0)).mul(xl)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B16, src, o1 + blk + 18, LE)
                            .convertShape(VectorOperators.B2S, S16, 0)).mul(xh)).reinterpretAsInts();
            acc1 = ((FloatVector) p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p1.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, d1), acc1);
            final IntVector p2 = ((ShortVector) ByteVector.fromMemorySegment(B16, src, o2 + blk + 2, LE)
                    .convertShape(VectorOperators.B2S, S16, 0)).mul(xl)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B16, src, o2 + blk + 18, LE)
                            .convertShape(VectorOperators.B2S, S16, 0)).mul(xh)).reinterpretAsInts();
            acc2 = ((FloatVector) p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p2.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, d2), acc2);
            final IntVector p3 = ((ShortVector) ByteVector.fromMemorySegment(B16, src, o3 + blk + 2, LE)
                    .convertShape(VectorOperators.B2S, S16, 0)).mul(xl)
                    .add(((ShortVector) ByteVector.fromMemorySegment(B16, src, o3 + blk + 18, LE)
                            .convertShape(VectorOperators.B2S, S16, 0)).mul(xh)).reinterpretAsInts();
            acc3 = ((FloatVector) p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p3.lanewise(VectorOperators.ASHR, 16)).convertShape(VectorOperators.I2F, Lanes.F8, 0))
                    .fma(FloatVector.broadcast(F, d3), acc3);
        }
        out[outAt] = acc0.reduceLanes(VectorOperators.ADD);
        out[outAt + outStride] = acc1.reduceLanes(VectorOperators.ADD);
        out[outAt + 2 * outStride] = acc2.reduceLanes(VectorOperators.ADD);
        out[outAt + 3 * outStride] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Σ q·x over one block, as a vector of partial sums. The first L lanes are a multiply, the rest FMAs; a row's
     * loads stay together (grouping the four rows' loads by position instead measured 15 % slower from memory).
     */
    private static FloatVector block(MemorySegment src, long at, float[] x, int xb) {
        ByteVector q = ByteVector.fromMemorySegment(B, src, at + 2, LE);
        FloatVector s = Lanes.toFloats(q, 0).mul(FloatVector.fromArray(F, x, xb));
        for (int c = 1; c < QK / L; c++) {
            final int p = c % PARTS;
            if (p == 0) {
                q = ByteVector.fromMemorySegment(B, src, at + 2 + c * L, LE);
            }
            s = Lanes.toFloats(q, p).fma(FloatVector.fromArray(F, x, xb + c * L), s);
        }
        return s;
    }

    /**
     * Σq·x of one block as 8 int lanes, in 16-bit integer arithmetic, 256-bit vectors only. The block's two 16-byte
     * halves widen to 16 shorts each ({@code vpmovsxbw}) and multiply the block's levels as shorts
     * ({@link QuantizedActivations#shortLevelArray}); lane j of the 16-bit sum is q[j]x[j] + q[j+16]x[j+16],
     * |·| ≤ 2·128·127 &lt; 2^15. Read as 8 ints, each holds two such sums, which two more shifts separate and add. No
     * int-to-float conversion per 8 weights, and every shift has an immediate count (C2 gives 16-bit shifts theirs
     * through a vector register).
     */
    private static IntVector widenedSums(MemorySegment src, long at, short[] xs, int xb) {
        final IntVector p = ((ShortVector) ByteVector.fromMemorySegment(B16, src, at + 2, LE)
                .convertShape(VectorOperators.B2S, S16, 0)).mul(ShortVector.fromArray(S16, xs, xb))
                .add(((ShortVector) ByteVector.fromMemorySegment(B16, src, at + 18, LE)
                        .convertShape(VectorOperators.B2S, S16, 0)).mul(ShortVector.fromArray(S16, xs, xb + 16)))
                .reinterpretAsInts();
        return p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(p.lanewise(VectorOperators.ASHR, 16));
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            int xb = srcOff + QK * b;
            long at = offset + (long) BLOCK * b;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float a = Math.abs(src[xb + j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            for (int j = 0; j < QK; j++) {
                BlockIo.putU8(dst, at + 2 + j, (int) BlockIo.roundf(src[xb + j] * id));
            }
        }
    }
}
