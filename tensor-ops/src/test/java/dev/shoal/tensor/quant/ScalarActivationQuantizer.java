package dev.shoal.tensor.quant;

/**
 * The activation quantizers as plain scalar code, element by element in llama.cpp's order (what
 * {@link ActivationQuantizer} was before it ran in vectors): the reference its every output array is held to, bit
 * for bit, in {@link ActivationQuantizerTest}.
 */
final class ScalarActivationQuantizer {

    private ScalarActivationQuantizer() {
    }

    /** Row {@code row} of {@code a} from {@code x[off, off + n)}, as {@link QuantizedActivations#quantize} does. */
    static void quantize(ActivationType type, float[] x, int off, int n, QuantizedActivations a, int row) {
        switch (type) {
            case Q8_0 -> q8(x, off, n, a, row, false);
            case Q8_1 -> q8(x, off, n, a, row, true);
            case Q8_K -> q8K(x, off, n, a, row);
            case F32 -> throw new IllegalArgumentException("F32 activations are not quantized");
        }
    }

    private static void q8(float[] x, int off, int n, QuantizedActivations a, int row, boolean withSum) {
        final float[] lv = a.levelArray();
        final float[] dq = a.dequantizedArray();
        final float[] sc = a.scaleArray();
        final float[] sums = a.sumArray();
        final short[] pairs = a.pairLevelArray();
        final short[] blockPairs = a.blockPairLevelArray();
        final short[] shorts = a.shortLevelArray();
        final int out = row * a.maxCols();
        final int blocks = row * a.blocksPerRow();
        for (int j = 0; j < n / 32; j++) {
            int xb = off + 32 * j;
            float amax = 0f;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[xb + i]));
            }
            final float d = amax / 127f;
            final float dh = Float.float16ToFloat(Float.floatToFloat16(d));
            final float id = amax != 0f ? 127f / amax : 0f;
            // QuantizedActivations.blockPairLevelArray: quarter c of block j at 16c past its pair's start (+8 for
            // the pair's second block), or at 8c in a last unpaired block
            final boolean paired = (j | 1) < n / 32;
            final int pairBase = paired ? out + 64 * (j >> 1) + 8 * (j & 1) : out + 32 * j;
            final int quarterStride = paired ? 16 : 8;
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                float q = (float) Math.rint(x[xb + i] * id);
                lv[out + 32 * j + i] = q;
                if (pairs != null) {
                    final int p = (i >> 1) + 16 * (i & 1);
                    pairs[out + 32 * j + p] = (short) q;
                    shorts[out + 32 * j + i] = (short) q;
                    blockPairs[pairBase + quarterStride * (p >> 3) + (p & 7)] = (short) q;
                }
                dq[out + 32 * j + i] = q * dh;
                sum += (int) q;
            }
            sc[blocks + j] = dh;
            if (pairs != null) {
                final short[] offsets = a.nibbleOffsetArray();
                final int at = out + 32 * j;
                for (int k = 0; k < 8; k++) {
                    offsets[at / 4 + k] = (short) (8 * (pairs[at + k] + pairs[at + 8 + k] + pairs[at + 16 + k]
                            + pairs[at + 24 + k]));
                }
            }
            if (withSum) {
                sums[blocks + j] = Float.float16ToFloat(Float.floatToFloat16(d * sum));
            }
            if (a.hasBroadcastPairs(row)) {
                a.blockOffsetArray()[blocks + j] = (8 * sum) & 0xFFFF;
            }
        }
        if (a.hasBroadcastPairs(row)) {
            Q4_0Interleaved.broadcastPairs(lv, out, n, a.broadcastPairArray(), a.broadcastPairOffset(row));
        }
    }

    private static void q8K(float[] x, int off, int n, QuantizedActivations a, int row) {
        final float[] lv = a.levelArray();
        final float[] dq = a.dequantizedArray();
        final float[] sc = a.scaleArray();
        final float[] sums = a.sumArray();
        final int[] subSums = a.subBlockSumArray();
        final short[] pairs = a.pairLevelArray();
        final int out = row * a.maxCols();
        final int blocks = row * a.blocksPerRow();
        for (int j = 0; j < n / 256; j++) {
            int xb = off + 256 * j;
            int o = out + 256 * j;
            float max = 0f;
            float amax = 0f;
            for (int i = 0; i < 256; i++) {
                float ax = Math.abs(x[xb + i]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + i];
                }
            }
            if (amax == 0f) {
                java.util.Arrays.fill(lv, o, o + 256, 0f);
                java.util.Arrays.fill(dq, o, o + 256, 0f);
                java.util.Arrays.fill(pairs, o, o + 256, (short) 0);
                java.util.Arrays.fill(sums, (blocks + j) * 16, (blocks + j) * 16 + 16, 0f);
                java.util.Arrays.fill(subSums, (blocks + j) * 8, (blocks + j) * 8 + 8, 0);
                sc[blocks + j] = 0f;
                continue;
            }
            final float iscale = -127f / max;
            final float d = 1f / iscale;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 16 * g; i < 16 * g + 16; i++) {
                    float q = Math.min(127f, (float) Math.rint(iscale * x[xb + i]));
                    lv[o + i] = q;
                    pairs[o + (i & ~31) + ((i & 31) >> 1) + 16 * (i & 1)] = (short) q;
                    dq[o + i] = q * d;
                    sum += (int) q;
                }
                sums[(blocks + j) * 16 + g] = sum;
            }
            for (int sub = 0; sub < 8; sub++) {
                subSums[(blocks + j) * 8 + QuantizedActivations.subBlockSlot(sub)] =
                        (int) (sums[(blocks + j) * 16 + 2 * sub] + sums[(blocks + j) * 16 + 2 * sub + 1]);
            }
            sc[blocks + j] = d;
        }
        if (a.hasBroadcastPairs(row)) {
            Q4_0Interleaved.broadcastPairs(lv, out, n, a.broadcastPairArray(), a.broadcastPairOffset(row));
        }
    }
}
