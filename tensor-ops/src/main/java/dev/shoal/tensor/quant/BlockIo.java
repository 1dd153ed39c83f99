package dev.shoal.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian scalar access to block fields, and ggml's scalar rounding helpers. */
final class BlockIo {

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private BlockIo() {
    }

    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(I16, off));
    }

    /**
     * The float of every f16 bit pattern (256 KiB, built once per JVM). A kernel that broadcasts a block's scale
     * straight from here gets one vector load, where {@link #f16} compiles to a scalar load, a move into a vector
     * register, a conversion and a broadcast — vector work as costly as a quarter of a Q4_0 block's arithmetic
     * ({@code MatVecBandwidthCheck Q4_0}: 7.6 → 8.6–8.9 GB/s from L2, 5.8 → 6.7–6.9 from DRAM).
     */
    private static final float[] F16_VALUES = f16Values();

    private static float[] f16Values() {
        float[] values = new float[1 << 16];
        for (int h = 0; h < values.length; h++) {
            values[h] = Float.float16ToFloat((short) h);
        }
        return values;
    }

    /** {@link #f16}, looked up: use it where the value goes straight into {@code FloatVector.broadcast}. */
    static float f16Lookup(MemorySegment s, long off) {
        return F16_VALUES[s.get(I16, off) & 0xFFFF];
    }

    /** Floats of the bytes 0..255, and of the same bits read as signed (-128..127), for the same reason. */
    private static final float[] U8_VALUES = byteValues(false);
    private static final float[] I8_VALUES = byteValues(true);

    private static float[] byteValues(boolean signed) {
        float[] values = new float[256];
        for (int i = 0; i < values.length; i++) {
            values[i] = signed ? (byte) i : i;
        }
        return values;
    }

    /** The low byte of {@code v}, unsigned, as a float (by lookup: for a scale about to be broadcast). */
    static float u8Float(int v) {
        return U8_VALUES[v & 0xFF];
    }

    /** The low byte of {@code v}, signed, as a float (by lookup: for a scale about to be broadcast). */
    static float i8Float(int v) {
        return I8_VALUES[v & 0xFF];
    }

    /** Stores {@code v} as f16, rounding to nearest even like ggml's {@code GGML_FP32_TO_FP16}. */
    static void putF16(MemorySegment s, long off, float v) {
        s.set(I16, off, Float.floatToFloat16(v));
    }

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static byte i8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    static void putU8(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }

    /** ggml's {@code nearest_int}: round half to even (its magic-number trick, valid for |v| < 2^22). */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** C's {@code roundf}: half away from zero. */
    static float roundf(float v) {
        float t = (float) (long) v;
        return Math.abs(v - t) >= 0.5f ? t + Math.signum(v) : t;
    }

    static void checkBlocks(GgmlType type, int n) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " rows are whole blocks of " + type.blockSize() + ", got n=" + n);
        }
    }
}
