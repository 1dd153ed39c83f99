package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.LE;
import static dev.shoal.tensor.quant.Lanes.B;
import static dev.shoal.tensor.quant.Lanes.F;
import static dev.shoal.tensor.quant.Lanes.G;
import static dev.shoal.tensor.quant.Lanes.L;
import static dev.shoal.tensor.quant.Lanes.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0: blocks of 32, 22 bytes = {f16 d; u32 qh; u8 qs[16]}. Nibbles as in Q4_0; bit i of qh is the fifth bit of
 * element i; value = (q - 16)*d.
 */
final class Q5_0Kernel implements QuantKernel {

    private static final int QK = 32;
    private static final int BLOCK = 22;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            int qh = src.get(BlockIo.I32, at + 2);
            int y = dstOff + QK * b;
            for (int j = 0; j < 16; j++) {
                int q = BlockIo.u8(src, at + 6 + j);
                dst[y + j] = (((q & 0xF) | ((qh >>> j) << 4 & 0x10)) - 16) * d;
                dst[y + j + 16] = (((q >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * d;
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            int qh = src.get(BlockIo.I32, at + 2);
            int xb = xOff + QK * b;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 6 + (j & 15));
                int q5 = ((j < 16 ? q : q >>> 4) & 0xF) | ((qh >>> j) & 1) << 4;
                sum += (q5 - 16) * d * x[xb + j];
            }
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int xb = xOff + QK * b;
            int qh = src.get(BlockIo.I32, at + 2);
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 6 + g, LE);
                // q - 16 is the nibble where the fifth bit is set, the nibble - 16 where it is clear
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> (16 + g)));
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(lo, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                    s = Lanes.toFloats(hi, p).fma(FloatVector.fromArray(F, x, xb + 16 + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at)).fma(s, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantizeVector(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final FloatVector d = FloatVector.broadcast(F, BlockIo.f16(src, at));
            final int qh = src.get(BlockIo.I32, at + 2);
            final int y = dstOff + QK * b;
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 6 + g, LE);
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> (16 + g)));
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
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        final float[] x = a.values();
        final int xo = a.offset(row);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            int qh = src.get(BlockIo.I32, at + 2);
            int xb = xo + QK * b;
            int sumi = 0;
            for (int j = 0; j < QK; j++) {
                int q = BlockIo.u8(src, at + 6 + (j & 15));
                int q5 = ((j < 16 ? q : q >>> 4) & 0xF) | ((qh >>> j) & 1) << 4;
                sumi += (q5 - 16) * (int) x[xb + j];
            }
            sum += sumi * (BlockIo.f16(src, at) * a.scale(row, b));
        }
        return sum;
    }

    /** As {@link #dot} on levels (exact block sums), then one FMA with d·dx. */
    @Override
    public float dotQuantized(MemorySegment src, long offset, QuantizedActivations a, int row, int n) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
        final float[] x = a.values();
        final float[] dx = a.scaleArray();
        final int xo = a.offset(row);
        final int so = row * a.blocksPerRow();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            final long at = offset + (long) BLOCK * b;
            final int xb = xo + QK * b;
            final int qh = src.get(BlockIo.I32, at + 2);
            FloatVector s = FloatVector.zero(F);
            for (int g = 0; g < 16; g += G) {
                ByteVector q = ByteVector.fromMemorySegment(B, src, at + 6 + g, LE);
                ByteVector lo = q.and((byte) 0xF).lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> g));
                ByteVector hi = Lanes.shr(q, 4).and((byte) 0xF)
                        .lanewise(VectorOperators.SUB, (byte) 16, Lanes.bitsClear(qh >>> (16 + g)));
                for (int p = 0; p < PARTS; p++) {
                    s = Lanes.toFloats(lo, p).fma(FloatVector.fromArray(F, x, xb + g + p * L), s);
                    s = Lanes.toFloats(hi, p).fma(FloatVector.fromArray(F, x, xb + 16 + g + p * L), s);
                }
            }
            acc = FloatVector.broadcast(F, BlockIo.f16(src, at) * dx[so + b]).fma(s, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** ggml's {@code quantize_row_q5_0_ref}: d = -max/16 where max is the value of largest magnitude. */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q5_0, n);
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
            float d = max / -16;
            float id = d != 0f ? 1.0f / d : 0f;
            BlockIo.putF16(dst, at, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (int) (src[xb + j] * id + 16.5f));
                int q1 = Math.min(31, (int) (src[xb + 16 + j] * id + 16.5f));
                BlockIo.putU8(dst, at + 6 + j, (q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= ((q0 >>> 4) & 1) << j;
                qh |= ((q1 >>> 4) & 1) << (j + 16);
            }
            dst.set(BlockIo.I32, at + 2, qh);
        }
    }
}
