package dev.shoal.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * The 12-byte scale field of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit mins, one pair per 32-element
 * sub-block. Bytes 0-3 hold scales 0-3 in their low 6 bits, bytes 4-7 mins 0-3; bytes 8-11 hold the low nibbles
 * of scale/min 4-7, whose top 2 bits ride in the spare high bits of bytes 0-7 (ggml's {@code get_scale_min_k4}).
 */
final class KScales {

    static final int BYTES = 12;

    private KScales() {
    }

    /** Byte {@code s} of a word of unpacked scales or mins ({@link #scales}, {@link #mins}), as a float. */
    static float level(long unpacked, int s) {
        return BlockIo.u8Float((int) (unpacked >>> (8 * s)));
    }

    /** Bytes 0-7 of the field, little-endian. */
    static long low(MemorySegment s, long at) {
        return s.get(BlockIo.I64, at);
    }

    /** Bytes 8-11 of the field, little-endian. */
    static int high(MemorySegment s, long at) {
        return s.get(BlockIo.I32, at + 8);
    }

    /** Scale j (0..7) from the field read as {@link #low} and {@link #high}. */
    static int scale(long low, int high, int j) {
        if (j < 4) {
            return (int) (low >>> (8 * j)) & 63;
        }
        int k = 8 * (j - 4);
        return (high >>> k) & 0xF | ((int) (low >>> (k + 6)) & 3) << 4;
    }

    /** Min j (0..7) from the field read as {@link #low} and {@link #high}. */
    static int min(long low, int high, int j) {
        if (j < 4) {
            return (int) (low >>> (8 * j + 32)) & 63;
        }
        return (high >>> (8 * (j - 4) + 4)) & 0xF | ((int) (low >>> (8 * j + 6)) & 3) << 4;
    }

    /**
     * All eight 6-bit scales, byte j = scale j, from the field read as {@link #low}/{@link #high} (llama.cpp's
     * {@code utmp} shuffle): scales 0-3 are the low 6 bits of bytes 0-3; scales 4-7 the low nibbles of bytes 8-11
     * with bits 6-7 of bytes 0-3 on top.
     */
    static long scales(long low, int high) {
        long lo = low & 0x3F3F3F3FL;
        long hi = (high & 0x0F0F0F0FL) | ((low >>> 2) & 0x30303030L);
        return lo | hi << 32;
    }

    /** All eight 6-bit mins, byte j = min j, as {@link #scales}: bytes 4-7 and the high nibbles of bytes 8-11. */
    static long mins(long low, int high) {
        long lo = (low >>> 32) & 0x3F3F3F3FL;
        long hi = ((high >>> 4) & 0x0F0F0F0FL) | ((low >>> 34) & 0x30303030L);
        return lo | hi << 32;
    }

    static int scale(MemorySegment s, long at, int j) {
        return scale(low(s, at), high(s, at), j);
    }

    static int min(MemorySegment s, long at, int j) {
        return min(low(s, at), high(s, at), j);
    }

    /** Packs 6-bit {@code ls[j]} and {@code lm[j]} (j = 0..7) into the 12 bytes at {@code at}. */
    static void pack(int[] ls, int[] lm, MemorySegment s, long at) {
        long low = 0;
        int high = 0;
        for (int j = 0; j < 4; j++) {
            low |= (long) (ls[j] | (ls[j + 4] >>> 4) << 6) << (8 * j);
            low |= (long) (lm[j] | (lm[j + 4] >>> 4) << 6) << (8 * j + 32);
            high |= ((ls[j + 4] & 0xF) | (lm[j + 4] & 0xF) << 4) << (8 * j);
        }
        s.set(BlockIo.I64, at, low);
        s.set(BlockIo.I32, at + 8, high);
    }
}
