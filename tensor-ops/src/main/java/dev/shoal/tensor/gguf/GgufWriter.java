package dev.shoal.tensor.gguf;

import dev.shoal.tensor.quant.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF files (v3 by default; v2 and v1 for tests of the reader). Tensor bytes are produced by a
 * {@link TensorData} callback straight into the memory-mapped output, so multi-GiB synthetic models are written
 * without holding them in memory.
 */
public final class GgufWriter {

    /** Fills {@code dst}, which is exactly the tensor's byte size, with the tensor's data. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(MemorySegment dst) throws IOException;
    }

    private record PendingTensor(String name, GgmlType type, long[] dims, long byteSize, TensorData data) {
    }

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Map<String, MetadataValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private int version = 3;
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter version(int v) {
        if (v < 1 || v > 3) {
            throw new IllegalArgumentException("GGUF version must be 1, 2 or 3, got " + v);
        }
        this.version = v;
        return this;
    }

    /** Sets the data alignment and records it as {@code general.alignment} when it is not the default. */
    public GgufWriter alignment(int a) {
        if (a <= 0 || Integer.bitCount(a) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + a);
        }
        this.alignment = a;
        if (a != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put("general.alignment", MetadataValue.uint32(a));
        }
        return this;
    }

    public GgufWriter put(String key, MetadataValue value) {
        metadata.put(key, value);
        return this;
    }

    /** Copies every entry of {@code source} (e.g. a real vocabulary) into this file. */
    public GgufWriter putAll(GgufMetadata source) {
        source.entries().forEach(metadata::put);
        return this;
    }

    public GgufWriter putString(String key, String v) {
        return put(key, MetadataValue.string(v));
    }

    public GgufWriter putUInt32(String key, long v) {
        return put(key, MetadataValue.uint32(v));
    }

    public GgufWriter putFloat32(String key, float v) {
        return put(key, MetadataValue.float32(v));
    }

    public GgufWriter putBool(String key, boolean v) {
        return put(key, MetadataValue.bool(v));
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorData data) {
        long elements = 1;
        for (long d : dims) {
            elements *= d;
        }
        if (dims.length == 0 || dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + (dims.length == 0 ? 0 : dims[0])
                    + " is not a multiple of " + type + "'s block size " + type.blockSize());
        }
        tensors.add(new PendingTensor(name, type, dims.clone(), type.bytesFor(elements), data));
        return this;
    }

    /** Convenience for small tensors held as floats (F32 only). */
    public GgufWriter addF32(String name, long[] dims, float[] values) {
        return addTensor(name, GgmlType.F32, dims,
                dst -> MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length));
    }

    public void write(Path out) throws IOException {
        byte[] header = header();
        long dataStart = align(header.length);
        long[] offsets = new long[tensors.size()];
        long cursor = 0;
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = cursor;
            cursor = align(cursor + tensors.get(i).byteSize());
        }
        long total = tensors.isEmpty() ? header.length
                : dataStart + offsets[tensors.size() - 1] + tensors.getLast().byteSize();
        Path tmp = out.resolveSibling(out.getFileName() + ".part");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared()) {
            patchOffsets(header, offsets);
            ch.write(java.nio.ByteBuffer.wrap(header));
            if (!tensors.isEmpty()) {
                ch.truncate(total);
                MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                for (int i = 0; i < tensors.size(); i++) {
                    PendingTensor t = tensors.get(i);
                    t.data().writeTo(map.asSlice(dataStart + offsets[i], t.byteSize()));
                }
                map.force();
            }
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    // Offsets are written as placeholders first, then patched once the header length is known.
    private final List<Integer> offsetSlots = new ArrayList<>();

    private void patchOffsets(byte[] header, long[] offsets) {
        MemorySegment h = MemorySegment.ofArray(header);
        for (int i = 0; i < offsets.length; i++) {
            h.set(U64, offsetSlots.get(i), offsets[i]);
        }
    }

    private byte[] header() {
        Bytes b = new Bytes();
        offsetSlots.clear();
        b.u32(GgufFile.MAGIC);
        b.u32(version);
        count(b, tensors.size());
        count(b, metadata.size());
        for (var e : metadata.entrySet()) {
            string(b, e.getKey());
            b.u32(e.getValue().type().id());
            value(b, e.getValue());
        }
        for (PendingTensor t : tensors) {
            string(b, t.name());
            b.u32(t.dims().length);
            for (long d : t.dims()) {
                count(b, d);
            }
            b.u32(t.type().id());
            offsetSlots.add(b.size());
            b.u64(0);
        }
        return b.toArray();
    }

    private void count(Bytes b, long n) {
        if (version == 1) {
            b.u32((int) n);
        } else {
            b.u64(n);
        }
    }

    private void string(Bytes b, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        count(b, utf8.length);
        b.bytes(utf8);
    }

    private void value(Bytes b, MetadataValue v) {
        scalarOrArray(b, v.type(), v.elementType(), v.value());
    }

    private void scalarOrArray(Bytes b, GgufValueType type, GgufValueType elementType, Object value) {
        switch (type) {
            case UINT8, INT8 -> b.u8(((Number) value).intValue());
            case UINT16, INT16 -> b.u16(((Number) value).intValue());
            case UINT32, INT32 -> b.u32(((Number) value).intValue());
            case FLOAT32 -> b.u32(Float.floatToRawIntBits(((Number) value).floatValue()));
            case BOOL -> b.u8((Boolean) value ? 1 : 0);
            case STRING -> string(b, (String) value);
            case UINT64, INT64 -> b.u64(((Number) value).longValue());
            case FLOAT64 -> b.u64(Double.doubleToRawLongBits(((Number) value).doubleValue()));
            case ARRAY -> {
                b.u32(elementType.id());
                int n = java.lang.reflect.Array.getLength(value);
                count(b, n);
                for (int i = 0; i < n; i++) {
                    Object e = java.lang.reflect.Array.get(value, i);
                    if (elementType == GgufValueType.ARRAY) {
                        MetadataValue inner = (MetadataValue) e;
                        scalarOrArray(b, GgufValueType.ARRAY, inner.elementType(), inner.value());
                    } else {
                        scalarOrArray(b, elementType, null, e);
                    }
                }
            }
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Bytes {
        private byte[] buf = new byte[1 << 16];
        private int size;

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[size++] = (byte) v;
        }

        void u16(int v) {
            u8(v);
            u8(v >>> 8);
        }

        void u32(int v) {
            ensure(4);
            MemorySegment.ofArray(buf).set(U32, size, v);
            size += 4;
        }

        void u64(long v) {
            ensure(8);
            MemorySegment.ofArray(buf).set(U64, size, v);
            size += 8;
        }

        void bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        int size() {
            return size;
        }

        byte[] toArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }
}
