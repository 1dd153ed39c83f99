package dev.shoal.transport;

import java.nio.ByteOrder;
import java.util.Objects;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Copies float32 runs between Java arrays and Aeron buffers in the wire's little-endian order. On a little-endian
 * CPU (x86, ARM as run) a float's memory image already is the wire image, so a run moves with one
 * {@code copyMemory} — the same primitive {@code UnsafeBuffer.getBytes/putBytes} use — instead of a
 * per-element {@code getFloat}/{@code putFloat} loop; a big-endian CPU takes the loop.
 *
 * <p>Bounds are checked once per run, against both the array and the buffer.
 */
final class FloatCodec {

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);

    private FloatCodec() {
    }

    /** {@code dst[dstIndex, +count*4) = src[srcIndex, +count)} as little-endian float32. */
    static void encode(final float[] src, final int srcIndex, final MutableDirectBuffer dst, final int dstIndex,
                       final int count) {
        Objects.checkFromIndexSize(srcIndex, count, src.length);
        dst.boundsCheck(dstIndex, Math.multiplyExact(count, Float.BYTES));
        if (NATIVE_LITTLE_ENDIAN) {
            UnsafeApi.copyMemory(src, FLOAT_ARRAY_BASE + (long) srcIndex * Float.BYTES,
                    dst.byteArray(), dst.addressOffset() + dstIndex, (long) count * Float.BYTES);
        } else {
            for (int i = 0; i < count; i++) {
                dst.putFloat(dstIndex + i * Float.BYTES, src[srcIndex + i], ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /** {@code dst[dstIndex, +count) = src[srcIndex, +count*4)} read as little-endian float32. */
    static void decode(final DirectBuffer src, final int srcIndex, final float[] dst, final int dstIndex,
                       final int count) {
        Objects.checkFromIndexSize(dstIndex, count, dst.length);
        src.boundsCheck(srcIndex, Math.multiplyExact(count, Float.BYTES));
        if (NATIVE_LITTLE_ENDIAN) {
            UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcIndex,
                    dst, FLOAT_ARRAY_BASE + (long) dstIndex * Float.BYTES, (long) count * Float.BYTES);
        } else {
            for (int i = 0; i < count; i++) {
                dst[dstIndex + i] = src.getFloat(srcIndex + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }
}
