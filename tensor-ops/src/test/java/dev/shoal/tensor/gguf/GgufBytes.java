package dev.shoal.tensor.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand-assembles GGUF bytes (little-endian) so tests can write headers the writer refuses to produce:
 * duplicate keys, unknown type ids, bad dimension counts, misaligned offsets. Counts and string lengths are
 * u32 for version 1 and u64 otherwise, as in the format.
 */
final class GgufBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final boolean v1;

    private GgufBytes(boolean v1) {
        this.v1 = v1;
    }

    /** Magic, version, tensor count and KV count. */
    static GgufBytes header(int version, long tensorCount, long kvCount) {
        GgufBytes b = new GgufBytes(version == 1);
        b.u32(GgufFile.MAGIC).u32(version).count(tensorCount).count(kvCount);
        return b;
    }

    GgufBytes u8(int v) {
        out.write(v);
        return this;
    }

    GgufBytes u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    GgufBytes u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    GgufBytes count(long n) {
        return v1 ? u32(n) : u64(n);
    }

    GgufBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        count(b.length);
        out.writeBytes(b);
        return this;
    }

    /** A key and a u32 value. */
    GgufBytes kvU32(String key, long value) {
        return str(key).u32(GgufValueType.UINT32.id()).u32(value);
    }

    GgufBytes kvString(String key, String value) {
        return str(key).u32(GgufValueType.STRING.id()).str(value);
    }

    /** A tensor info entry: name, dimension count, dims, ggml type id, data offset. */
    GgufBytes tensor(String name, long[] dims, long typeId, long offset) {
        str(name).u32(dims.length);
        for (long d : dims) {
            count(d);
        }
        return u32(typeId).u64(offset);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    GgufBytes pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    GgufBytes zeros(int n) {
        out.writeBytes(new byte[n]);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
