package dev.shoal.tensor.quant;

import static dev.shoal.tensor.quant.BlockIo.nearestInt;

import java.lang.foreign.MemorySegment;

/**
 * The reference quantizer shared by Q4_K and Q5_K ({@code quantize_row_q4_K_ref} / {@code _q5_K_ref}), which differ
 * only in the level range, the search grid and how the levels are packed. Both blocks start {f16 d; f16 dmin;
 * u8 scales[12]}. Scratch arrays are allocated once per call: quantizing is for writing models, not a hot path.
 */
final class KQuantizer {

    /** Packs the 256 levels of one super-block into its quant bytes. */
    interface LevelStore {
        void store(byte[] levels, MemorySegment dst, long blockAt);
    }

    private static final int QK = 256;
    private static final int SCALES = 4;

    private KQuantizer() {
    }

    static void quantize(float[] x, int xOff, int n, MemorySegment dst, long offset, int nmax, float rmin,
            float rdelta, int nstep, int blockBytes, LevelStore store) {
        byte[] levels = new byte[QK];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int b = 0; b < n / QK; b++) {
            int xb = xOff + QK * b;
            long at = offset + (long) blockBytes * b;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                int xs = xb + 32 * j;
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) {
                    sumX2 += x[xs + l] * x[xs + l];
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) {
                    weights[l] = avX + Math.abs(x[xs + l]);
                }
                scales[j] = QuantSearch.asymmetric(32, nmax, x, xs, weights, levels, 32 * j, laux, rmin, rdelta, nstep,
                        mins, j);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                // ggml stores these through uint8_t before clamping, so a negative scale wraps and clamps to 63
                ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
                lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            }
            KScales.pack(ls, lm, dst, at + SCALES);
            BlockIo.putF16(dst, at, maxScale / 63f);
            BlockIo.putF16(dst, at + 2, maxMin / 63f);
            for (int j = 0; j < 8; j++) {
                float d = BlockIo.f16(dst, at) * KScales.scale(dst, at + SCALES, j);
                if (d == 0f) {
                    continue;
                }
                float dm = BlockIo.f16(dst, at + 2) * KScales.min(dst, at + SCALES, j);
                for (int i = 0; i < 32; i++) {
                    levels[32 * j + i] = (byte) Math.clamp(nearestInt((x[xb + 32 * j + i] + dm) / d), 0, nmax);
                }
            }
            store.store(levels, dst, at);
        }
    }
}
