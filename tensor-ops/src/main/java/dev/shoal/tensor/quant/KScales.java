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

    static int scale(MemorySegment s, long at, int j) {
        if (j < 4) {
            return BlockIo.u8(s, at + j) & 63;
        }
        return (BlockIo.u8(s, at + j + 4) & 0xF) | ((BlockIo.u8(s, at + j - 4) >>> 6) << 4);
    }

    static int min(MemorySegment s, long at, int j) {
        if (j < 4) {
            return BlockIo.u8(s, at + j + 4) & 63;
        }
        return (BlockIo.u8(s, at + j + 4) >>> 4) | ((BlockIo.u8(s, at + j) >>> 6) << 4);
    }

    /** Packs 6-bit {@code ls[j]} and {@code lm[j]} (j = 0..7) into the 12 bytes at {@code at}. */
    static void pack(int[] ls, int[] lm, MemorySegment s, long at) {
        byte[] q = new byte[BYTES];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                q[j] = (byte) ls[j];
                q[j + 4] = (byte) lm[j];
            } else {
                q[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                q[j - 4] |= (byte) ((ls[j] >>> 4) << 6);
                q[j] |= (byte) ((lm[j] >>> 4) << 6);
            }
        }
        MemorySegment.copy(MemorySegment.ofArray(q), 0, s, at, BYTES);
    }
}
