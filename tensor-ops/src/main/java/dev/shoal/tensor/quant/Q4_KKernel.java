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
 * Q4_K: super-blocks of 256, 144 bytes = {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}. Eight sub-blocks of 32
 * each have a 6-bit scale sc and min m ({@link KScales}). qs is four runs of 32 bytes; run r holds sub-block 2r in
 * its low nibbles and 2r+1 in its high nibbles. value = (d*sc)*q - (dmin*m).
 */
final class Q4_KKernel implements QuantKernel {

    private static final int QK = 256;
    private static final int BLOCK = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            for (int r = 0; r < 4; r++) {
                float d1 = d * KScales.scale(src, at + SCALES, 2 * r);
                float m1 = min * KScales.min(src, at + SCALES, 2 * r);
                float d2 = d * KScales.scale(src, at + SCALES, 2 * r + 1);
                float m2 = min * KScales.min(src, at + SCALES, 2 * r + 1);
                int y = dstOff + QK * b + 64 * r;
                for (int l = 0; l < 32; l++) {
                    int q = BlockIo.u8(src, at + QS + 32 * r + l);
                    dst[y + l] = d1 * (q & 0xF) - m1;
                    dst[y + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }

    @Override
    public float dotScalar(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * KScales.scale(src, at + SCALES, s);
                float ms = min * KScales.min(src, at + SCALES, s);
                int xs = xOff + QK * b + 32 * s;
                for (int l = 0; l < 32; l++) {
                    int q = (BlockIo.u8(src, at + QS + 32 * (s >> 1) + l) >>> (4 * (s & 1))) & 0xF;
                    sum += (ds * q - ms) * x[xs + l];
                }
            }
        }
        return sum;
    }

    /**
     * Per sub-block s: Σq·x and Σx, then (d*sc)·Σqx - (dmin*m)·Σx. One loop over the 8 sub-blocks (run s>>1,
     * nibble s&1) rather than an unrolled pair: the unrolled body outgrows C2's inlining budget and vectors box.
     */
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector accM = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long at = offset + (long) BLOCK * b;
            float d = BlockIo.f16(src, at);
            float min = BlockIo.f16(src, at + 2);
            long low = KScales.low(src, at + SCALES);
            int high = KScales.high(src, at + SCALES);
            for (int s = 0; s < 8; s++) {
                long qs = at + QS + 32 * (s >> 1);
                int xs = xOff + QK * b + 32 * s;
                FloatVector sq = FloatVector.zero(F);
                FloatVector sx = FloatVector.zero(F);
                for (int g = 0; g < 32; g += G) {
                    ByteVector q = Lanes.shr(ByteVector.fromMemorySegment(B, src, qs + g, LE), 4 * (s & 1)).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xs + g + p * L);
                        sq = Lanes.toFloats(q, p).fma(xv, sq);
                        sx = sx.add(xv);
                    }
                }
                acc = sq.fma(FloatVector.broadcast(F, d * KScales.scale(low, high, s)), acc);
                accM = sx.fma(FloatVector.broadcast(F, min * KScales.min(low, high, s)), accM);
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
    }

    /**
     * ggml's {@code quantize_row_q4_K_ref}: per sub-block an asymmetric least-squares fit weighted by
     * rms(x)+|x|, then the 8 scales and 8 mins are themselves quantized to 6 bits against d = max/63 and
     * dmin = max/63, and the 4-bit levels recomputed with the stored (rounded) scales.
     */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        BlockIo.checkBlocks(GgmlType.Q4_K, n);
        KQuantizer.quantize(src, srcOff, n, dst, offset, 15, -1f, 0.1f, 20, BLOCK, Q4_KKernel::store);
    }

    /** Packs levels {@code lv[0..256)} (0..15) into qs: run r = sub-blocks 2r (low nibble) and 2r+1 (high). */
    private static void store(byte[] lv, MemorySegment dst, long at) {
        for (int r = 0; r < 4; r++) {
            for (int l = 0; l < 32; l++) {
                BlockIo.putU8(dst, at + QS + 32 * r + l, lv[64 * r + l] | (lv[64 * r + 32 + l] << 4));
            }
        }
    }
}
