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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file memory-mapped read-only with the FFM API (files over 2 GiB are one segment).
 *
 * <p>Layout (little-endian): {@code "GGUF"} magic, u32 version, tensor count and KV count (u64 in v2/v3, u32 in
 * v1), the KV pairs, the tensor infos, padding to {@code general.alignment} (default 32), then the data section
 * that tensor offsets are relative to. v1 writes every count and string length as u32; we read it too.
 *
 * <p>Every read is bounds-checked against the file: a truncated or corrupted file raises
 * {@link GgufFormatException} naming what was being read and where, never an out-of-bounds exception, a huge
 * allocation or a crash. The mapping lives until {@link #close()}; tensor segments must not be used after it.
 */
public final class GgufFile implements AutoCloseable {

    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final long dataStart;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, GgufMetadata metadata,
                     List<TensorInfo> tensors, long dataStart, int alignment) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableList(tensors);
        this.dataStart = dataStart;
        this.alignment = alignment;
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (TensorInfo t : tensors) {
            m.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(m);
    }

    /** Maps and parses {@code path}. */
    public static GgufFile open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new GgufFormatException(path + ": no such file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : nativeView(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), arena);
            return parse(path, arena, seg);
        } catch (RuntimeException | IOException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The mapping as a plain native segment (same memory, same arena, read-only). Weights reach the kernels both
     * from mappings and from memory a slice was compacted into ({@code Arena.allocate}); two segment classes at the
     * kernels' loads make every access bimorphic, and a JVM that had run both decoded at half speed (a whole 1B
     * Q8_0 model 143 → 306 ms per token after a tensor rank's compacted slice ran, the rank 70 → 150 ms;
     * {@code SliceSpeedCheck}). One class keeps them monomorphic.
     */
    private static MemorySegment nativeView(MemorySegment mapped, Arena arena) {
        return MemorySegment.ofAddress(mapped.address()).reinterpret(mapped.byteSize(), arena, null).asReadOnly();
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment seg) {
        Cursor c = new Cursor(path, seg);
        if (seg.byteSize() < 8) {
            throw GgufFormatException.at(path, 0, "file is " + seg.byteSize() + " bytes, too short for a GGUF header");
        }
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw GgufFormatException.at(path, 0, String.format(
                    "not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        long version = c.u32("version") & 0xFFFFFFFFL;
        if (version == 0 || version > 3) {
            if (Integer.reverseBytes((int) version) >= 1 && Integer.reverseBytes((int) version) <= 3) {
                throw GgufFormatException.at(path, 4, "big-endian GGUF is not supported");
            }
            throw GgufFormatException.at(path, 4, "GGUF version " + version + " is not supported (1, 2 and 3 are)");
        }
        c.v1 = version == 1;
        long tensorCount = c.count("tensor count");
        long kvCount = c.count("metadata count");
        // Each KV needs at least key length + type + 1 byte (13 bytes, or 9 in v1 where the length is a u32);
        // each tensor info at least 4 words.
        c.requirePlausible(kvCount, c.v1 ? 9 : 13, "metadata count " + kvCount);
        c.requirePlausible(tensorCount, 24, "tensor count " + tensorCount);

        Map<String, MetadataValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = c.pos;
            String key = c.string("metadata key #" + i);
            long typeAt = c.pos;
            long typeId = c.u32("type of '" + key + "'") & 0xFFFFFFFFL;
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw GgufFormatException.at(path, typeAt, "metadata '" + key + "' has unknown value type " + typeId);
            }
            MetadataValue v = c.value(key, type, 0);
            if (kv.put(key, v) != null) {
                throw GgufFormatException.at(path, at, "duplicate metadata key '" + key + "'");
            }
        }
        String source = path.getFileName().toString();
        GgufMetadata metadata = new GgufMetadata(source, kv);
        long alignment = DEFAULT_ALIGNMENT;
        MetadataValue alignValue = kv.get("general.alignment");
        if (alignValue != null) {
            if (!alignValue.type().isInteger()) {
                throw new GgufFormatException(source + ": general.alignment must be an integer");
            }
            alignment = ((Number) alignValue.value()).longValue();
            if (alignment <= 0 || alignment > 1 << 20 || Long.bitCount(alignment) != 1) {
                throw new GgufFormatException(source + ": general.alignment " + alignment
                        + " is not a power of two between 1 and 1 MiB");
            }
        }

        List<TensorInfo> tensors = new ArrayList<>((int) tensorCount);
        List<Long> infoOffsets = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = c.pos;
            infoOffsets.add(at);
            String name = c.string("name of tensor #" + i);
            long nDims = c.u32("dimension count of '" + name + "'") & 0xFFFFFFFFL;
            if (nDims == 0 || nDims > MAX_DIMS) {
                throw GgufFormatException.at(path, c.pos - 4,
                        "tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] dims = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = c.count("dimension " + d + " of '" + name + "'");
                if (dims[d] <= 0 || dims[d] > (1L << 40)) {
                    throw GgufFormatException.at(path, c.pos - (c.v1 ? 4 : 8),
                            "tensor '" + name + "' has dimension " + d + " = " + dims[d]);
                }
                elements = Math.multiplyHigh(elements, dims[d]) != 0 ? -1 : elements * dims[d];
                if (elements < 0 || elements > (1L << 50)) {
                    throw GgufFormatException.at(path, c.pos, "tensor '" + name + "' has too many elements");
                }
            }
            long typeAt = c.pos;
            long typeId = c.u32("type of '" + name + "'") & 0xFFFFFFFFL;
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw GgufFormatException.at(path, typeAt, "tensor '" + name + "' has unknown type id " + typeId);
            }
            if (dims[0] % type.blockSize() != 0) {
                throw GgufFormatException.at(path, typeAt, "tensor '" + name + "' of type " + type
                        + " has row length " + dims[0] + ", not a multiple of its block size " + type.blockSize());
            }
            long offset = c.u64("data offset of '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw GgufFormatException.at(path, c.pos - 8, "tensor '" + name + "' has data offset " + offset
                        + ", not a multiple of the alignment " + alignment);
            }
            tensors.add(new TensorInfo(name, type, dims, offset, type.bytesFor(elements)));
        }
        long dataStart = (c.pos + alignment - 1) / alignment * alignment;
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorInfo t = tensors.get(i);
            if (seen.put(t.name(), Boolean.TRUE) != null) {
                throw GgufFormatException.at(path, infoOffsets.get(i), "duplicate tensor name '" + t.name() + "'");
            }
            long end = dataStart + t.offset() + t.byteSize();
            if (end > seg.byteSize() || end < 0) {
                throw new GgufFormatException(source + ": tensor '" + t.name() + "' (" + t.type() + " "
                        + java.util.Arrays.toString(t.dims()) + ") needs bytes up to " + end + " but the file has "
                        + seg.byteSize() + " bytes — the file is truncated or corrupt");
            }
        }
        return new GgufFile(path, arena, seg, (int) version, metadata, tensors, dataStart, (int) alignment);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public List<TensorInfo> tensors() {
        return tensors;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute offset of the data section in the file. */
    public long dataStart() {
        return dataStart;
    }

    /** Size of the whole file in bytes. */
    public long byteSize() {
        return file.byteSize();
    }

    public boolean hasTensor(String name) {
        return byName.containsKey(name);
    }

    /** The tensor's entry; raises {@link GgufFormatException} naming the file when it is absent. */
    public TensorInfo tensor(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new GgufFormatException(path.getFileName() + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** A read-only view of the tensor's bytes inside the mapping (no copy). */
    public MemorySegment data(TensorInfo t) {
        return file.asSlice(dataStart + t.offset(), t.byteSize());
    }

    public MemorySegment data(String name) {
        return data(tensor(name));
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Bounds-checked reader over the mapped header. */
    private static final class Cursor {
        private final Path path;
        private final MemorySegment seg;
        long pos;
        boolean v1;

        Cursor(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
        }

        private void need(long n, String what) {
            if (n < 0 || pos + n > seg.byteSize() || pos + n < 0) {
                throw GgufFormatException.at(path, pos, "file ends while reading " + what + " (needs " + n
                        + " bytes, " + Math.max(0, seg.byteSize() - pos) + " left) — truncated or corrupt");
            }
        }

        void requirePlausible(long count, long minBytesEach, String what) {
            long left = seg.byteSize() - pos;
            if (count < 0 || count > left / minBytesEach + 1) {
                throw GgufFormatException.at(path, pos, what + " is impossible for a file of "
                        + seg.byteSize() + " bytes — corrupt header");
            }
        }

        int u32(String what) {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        /** A count or length: u32 in v1, u64 after; negative (≥ 2^63) is rejected. */
        long count(String what) {
            long at = pos;
            long v = v1 ? u32(what) & 0xFFFFFFFFL : u64(what);
            if (v < 0) {
                throw GgufFormatException.at(path, at, what + " is " + Long.toUnsignedString(v) + ", impossible");
            }
            return v;
        }

        String string(String what) {
            long at = pos;
            long len = count("length of " + what);
            if (len > seg.byteSize() - pos) {
                throw GgufFormatException.at(path, at, what + " claims " + len + " bytes but only "
                        + (seg.byteSize() - pos) + " remain — truncated or corrupt");
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /** A string element of an array; the description is only built when the read fails. */
        private String arrayString(String key, int index) {
            if (pos + (v1 ? 4 : 8) > seg.byteSize()) {
                return string("array '" + key + "'[" + index + "]");
            }
            long len = v1 ? seg.get(U32, pos) & 0xFFFFFFFFL : seg.get(U64, pos);
            long start = pos + (v1 ? 4 : 8);
            if (len < 0 || len > seg.byteSize() - start) {
                return string("array '" + key + "'[" + index + "]");
            }
            pos = start + len;
            return new String(seg.asSlice(start, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }

        MetadataValue value(String key, GgufValueType type, int depth) {
            String what = "value of '" + key + "'";
            return switch (type) {
                case UINT8 -> { need(1, what); yield MetadataValue.of(type, seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF); }
                case INT8 -> { need(1, what); yield MetadataValue.of(type, (int) seg.get(ValueLayout.JAVA_BYTE, pos++)); }
                case UINT16 -> MetadataValue.of(type, u16(what) & 0xFFFF);
                case INT16 -> MetadataValue.of(type, (int) (short) u16(what));
                case UINT32 -> MetadataValue.of(type, u32(what) & 0xFFFFFFFFL);
                case INT32 -> MetadataValue.of(type, u32(what));
                case FLOAT32 -> MetadataValue.of(type, Float.intBitsToFloat(u32(what)));
                case BOOL -> { need(1, what); yield MetadataValue.of(type, seg.get(ValueLayout.JAVA_BYTE, pos++) != 0); }
                case STRING -> MetadataValue.of(type, string(what));
                case UINT64, INT64 -> MetadataValue.of(type, u64(what));
                case FLOAT64 -> MetadataValue.of(type, Double.longBitsToDouble(u64(what)));
                case ARRAY -> array(key, depth);
            };
        }

        private int u16(String what) {
            need(2, what);
            int v = Short.toUnsignedInt(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos));
            pos += 2;
            return v;
        }

        private MetadataValue array(String key, int depth) {
            long at = pos;
            long elemId = u32("element type of '" + key + "'") & 0xFFFFFFFFL;
            GgufValueType et = GgufValueType.byId(elemId);
            if (et == null) {
                throw GgufFormatException.at(path, at, "array '" + key + "' has unknown element type " + elemId);
            }
            if (depth > 4) {
                throw GgufFormatException.at(path, at, "array '" + key + "' nests too deeply");
            }
            long n = count("length of array '" + key + "'");
            long minEach = et.size() > 0 ? et.size() : (v1 ? 4 : 8);
            if (n > (seg.byteSize() - pos) / minEach || n > Integer.MAX_VALUE - 8) {
                throw GgufFormatException.at(path, at, "array '" + key + "' claims " + n + " elements of " + et
                        + " but only " + (seg.byteSize() - pos) + " bytes remain — truncated or corrupt");
            }
            int len = (int) n;
            String what = "array '" + key + "'";
            Object out = switch (et) {
                case UINT8, INT8, BOOL -> {
                    need(len, what);
                    byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
                    pos += len;
                    if (et == GgufValueType.BOOL) {
                        boolean[] r = new boolean[len];
                        for (int i = 0; i < len; i++) r[i] = b[i] != 0;
                        yield r;
                    }
                    int[] r = new int[len];
                    for (int i = 0; i < len; i++) r[i] = et == GgufValueType.UINT8 ? b[i] & 0xFF : b[i];
                    yield r;
                }
                case UINT16, INT16 -> {
                    int[] r = new int[len];
                    for (int i = 0; i < len; i++) r[i] = et == GgufValueType.UINT16 ? u16(what) : (short) u16(what);
                    yield r;
                }
                case INT32 -> {
                    need(4L * len, what);
                    int[] r = seg.asSlice(pos, 4L * len).toArray(U32);
                    pos += 4L * len;
                    yield r;
                }
                case UINT32 -> {
                    long[] r = new long[len];
                    for (int i = 0; i < len; i++) r[i] = u32(what) & 0xFFFFFFFFL;
                    yield r;
                }
                case UINT64, INT64 -> {
                    long[] r = new long[len];
                    for (int i = 0; i < len; i++) r[i] = u64(what);
                    yield r;
                }
                case FLOAT32 -> {
                    need(4L * len, what);
                    float[] r = seg.asSlice(pos, 4L * len).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                    pos += 4L * len;
                    yield r;
                }
                case FLOAT64 -> {
                    double[] r = new double[len];
                    for (int i = 0; i < len; i++) r[i] = Double.longBitsToDouble(u64(what));
                    yield r;
                }
                case STRING -> {
                    String[] r = new String[len];
                    for (int i = 0; i < len; i++) r[i] = arrayString(key, i);
                    yield r;
                }
                case ARRAY -> {
                    MetadataValue[] r = new MetadataValue[len];
                    for (int i = 0; i < len; i++) r[i] = array(key + "[" + i + "]", depth + 1);
                    yield r;
                }
            };
            return MetadataValue.array(et, out);
        }
    }
}
