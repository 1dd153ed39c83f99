package dev.shoal.tensor.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shoal.tensor.quant.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufWriterRoundTripTest {

    @TempDir
    Path dir;

    /** One value of every scalar type and arrays of every element type, in the Java shapes the reader yields. */
    static Map<String, MetadataValue> everyValueType() {
        Map<String, MetadataValue> m = new LinkedHashMap<>();
        m.put("s.u8", MetadataValue.of(GgufValueType.UINT8, 200));
        m.put("s.i8", MetadataValue.of(GgufValueType.INT8, -128));
        m.put("s.u16", MetadataValue.of(GgufValueType.UINT16, 65535));
        m.put("s.i16", MetadataValue.of(GgufValueType.INT16, -30000));
        m.put("s.u32", MetadataValue.uint32(4_294_967_295L));
        m.put("s.i32", MetadataValue.int32(Integer.MIN_VALUE));
        m.put("s.f32", MetadataValue.float32(-0.0f));
        m.put("s.bool.t", MetadataValue.bool(true));
        m.put("s.bool.f", MetadataValue.bool(false));
        m.put("s.str", MetadataValue.string("héllo ✓ 𝄞\n\0end"));
        m.put("s.str.empty", MetadataValue.string(""));
        m.put("s.u64", MetadataValue.of(GgufValueType.UINT64, -1L)); // 2^64 - 1, unsigned by contract
        m.put("s.i64", MetadataValue.of(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("s.f64", MetadataValue.of(GgufValueType.FLOAT64, Math.PI));
        m.put("a.u8", MetadataValue.array(GgufValueType.UINT8, new int[] {0, 1, 255}));
        m.put("a.i8", MetadataValue.array(GgufValueType.INT8, new int[] {-128, 0, 127}));
        m.put("a.u16", MetadataValue.array(GgufValueType.UINT16, new int[] {0, 65535}));
        m.put("a.i16", MetadataValue.array(GgufValueType.INT16, new int[] {-32768, 32767}));
        m.put("a.u32", MetadataValue.array(GgufValueType.UINT32, new long[] {0, 4_294_967_295L}));
        m.put("a.i32", MetadataValue.array(GgufValueType.INT32, new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE}));
        m.put("a.f32", MetadataValue.array(GgufValueType.FLOAT32,
                new float[] {1.5f, Float.NaN, Float.NEGATIVE_INFINITY, Float.MIN_VALUE}));
        m.put("a.bool", MetadataValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}));
        m.put("a.str", MetadataValue.array(GgufValueType.STRING, new String[] {"", "a", "ünï ✓"}));
        m.put("a.u64", MetadataValue.array(GgufValueType.UINT64, new long[] {-1L, 0}));
        m.put("a.i64", MetadataValue.array(GgufValueType.INT64, new long[] {Long.MIN_VALUE, Long.MAX_VALUE}));
        m.put("a.f64", MetadataValue.array(GgufValueType.FLOAT64, new double[] {-0.0, Double.MAX_VALUE}));
        m.put("a.empty.i32", MetadataValue.array(GgufValueType.INT32, new int[0]));
        m.put("a.empty.str", MetadataValue.array(GgufValueType.STRING, new String[0]));
        m.put("a.nested", MetadataValue.array(GgufValueType.ARRAY, new MetadataValue[] {
            MetadataValue.array(GgufValueType.INT32, new int[] {1, 2, 3}),
            MetadataValue.array(GgufValueType.STRING, new String[] {"x", "yz"}),
            MetadataValue.array(GgufValueType.FLOAT32, new float[0]),
        }));
        m.put("a.nested.deep", MetadataValue.array(GgufValueType.ARRAY, new MetadataValue[] {
            MetadataValue.array(GgufValueType.ARRAY, new MetadataValue[] {
                MetadataValue.array(GgufValueType.UINT8, new int[] {7}),
                MetadataValue.array(GgufValueType.BOOL, new boolean[] {false}),
            }),
        }));
        return m;
    }

    /** Deep equality of two metadata values, arrays by content (NaN equal to NaN, -0.0 distinct from 0.0). */
    static void assertValueEquals(String key, MetadataValue expected, MetadataValue actual) {
        assertEquals(expected.type(), actual.type(), key);
        assertEquals(expected.elementType(), actual.elementType(), key);
        Object e = expected.value();
        Object a = actual.value();
        switch (e) {
            case int[] x -> assertArrayEquals(x, (int[]) a, key);
            case long[] x -> assertArrayEquals(x, (long[]) a, key);
            case float[] x -> assertEquals(0, Arrays.compare(x, (float[]) a), key);
            case double[] x -> assertEquals(0, Arrays.compare(x, (double[]) a), key);
            case boolean[] x -> assertArrayEquals(x, (boolean[]) a, key);
            case String[] x -> assertArrayEquals(x, (String[]) a, key);
            case MetadataValue[] x -> {
                MetadataValue[] y = (MetadataValue[]) a;
                assertEquals(x.length, y.length, key);
                for (int i = 0; i < x.length; i++) {
                    assertValueEquals(key + "[" + i + "]", x[i], y[i]);
                }
            }
            case Float x -> assertEquals(Float.floatToRawIntBits(x), Float.floatToRawIntBits((Float) a), key);
            case Double x -> assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits((Double) a), key);
            default -> {
                assertEquals(e.getClass(), a.getClass(), key);
                assertEquals(e, a, key);
            }
        }
    }

    private static byte[] pattern(long n, long seed) {
        byte[] b = new byte[(int) n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private record Written(String name, GgmlType type, long[] dims, byte[] bytes) {
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 2, 1})
    void everyMetadataTypeAndTensorDataRoundTrip(int version) throws Exception {
        for (int alignment : new int[] {32, 1, 64, 4096}) {
            GgufWriter w = new GgufWriter().version(version).alignment(alignment);
            Map<String, MetadataValue> md = everyValueType();
            md.forEach(w::put);
            List<Written> tensors = new ArrayList<>();
            tensors.add(new Written("f32.vec", GgmlType.F32, new long[] {7}, pattern(28, 1)));
            tensors.add(new Written("f16.mat", GgmlType.F16, new long[] {5, 3}, pattern(30, 2)));
            tensors.add(new Written("q8_0.mat", GgmlType.Q8_0, new long[] {64, 3}, pattern(64 / 32 * 34 * 3, 3)));
            tensors.add(new Written("q4_k.mat", GgmlType.Q4_K, new long[] {256, 2}, pattern(144 * 2, 4)));
            tensors.add(new Written("i8.4d", GgmlType.I8, new long[] {3, 1, 2, 5}, pattern(30, 5)));
            for (Written t : tensors) {
                w.addTensor(t.name(), t.type(), t.dims(), dst -> MemorySegment.copy(t.bytes(), 0, dst, ValueLayout.JAVA_BYTE, 0, t.bytes().length));
            }
            float[] floats = {1, -2.5f, 3e-8f};
            w.addF32("addF32", new long[] {3}, floats);
            Path p = dir.resolve("rt-v" + version + "-a" + alignment + ".gguf");
            w.write(p);
            assertFalse(Files.exists(p.resolveSibling(p.getFileName() + ".part")), "no .part file is left behind");

            try (GgufFile f = GgufFile.open(p)) {
                String where = "v" + version + " alignment " + alignment;
                assertEquals(version, f.version(), where);
                assertEquals(alignment, f.alignment(), where);
                assertEquals(0, f.dataStart() % alignment, where);
                Map<String, MetadataValue> read = new LinkedHashMap<>(f.metadata().entries());
                if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
                    assertEquals(alignment, f.metadata().integer("general.alignment"), where);
                    read.remove("general.alignment");
                }
                assertEquals(List.copyOf(md.keySet()), List.copyOf(read.keySet()), where + ": keys in file order");
                md.forEach((k, v) -> assertValueEquals(where + " " + k, v, read.get(k)));

                assertEquals(tensors.size() + 1, f.tensors().size());
                for (Written t : tensors) {
                    TensorInfo info = f.tensor(t.name());
                    assertEquals(t.type(), info.type(), where);
                    assertArrayEquals(t.dims(), info.dims(), where);
                    assertEquals(0, info.offset() % alignment, where);
                    assertArrayEquals(t.bytes(), f.data(info).toArray(ValueLayout.JAVA_BYTE), where + " " + t.name());
                }
                assertArrayEquals(floats, f.data("addF32").toArray(
                        ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)), where);
                TensorInfo last = f.tensors().getLast();
                assertEquals(f.byteSize(), f.dataStart() + last.offset() + last.byteSize(), where + ": no trailing bytes");
            }
        }
    }

    @Test
    void aFileWithoutTensorsEndsRightAfterTheHeader() throws Exception {
        Path p = dir.resolve("vocab-only.gguf");
        new GgufWriter().putString("general.architecture", "llama").putUInt32("x", 7).write(p);
        byte[] expected = GgufBytes.header(3, 0, 2)
                .kvString("general.architecture", "llama")
                .kvU32("x", 7)
                .bytes();
        assertArrayEquals(expected, Files.readAllBytes(p), "byte layout of a tensor-less v3 file");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(0, f.tensors().size());
            assertEquals(7, f.metadata().integer("x"));
        }
    }

    @Test
    void copiesARealVocabularyUnchanged() throws Exception {
        Path src = dev.shoal.tensor.SharedModels.require("stories260K.gguf");
        Path p = dir.resolve("copy.gguf");
        try (GgufFile in = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(in.metadata());
            for (TensorInfo t : in.tensors()) {
                w.addTensor(t.name(), t.type(), t.dims(), dst -> dst.copyFrom(in.data(t)));
            }
            w.write(p);
            // the original was written by llama.cpp's writer with the same layout rules: byte-identical
            assertEquals(-1L, Files.mismatch(src, p));
        }
    }

    @Test
    void writerRejectsWhatTheFormatCannotHold() {
        assertEquals("GGUF version must be 1, 2 or 3, got 4",
                assertThrows(IllegalArgumentException.class, () -> new GgufWriter().version(4)).getMessage());
        assertEquals("alignment must be a power of two, got 48",
                assertThrows(IllegalArgumentException.class, () -> new GgufWriter().alignment(48)).getMessage());
        IllegalArgumentException row = assertThrows(IllegalArgumentException.class,
                () -> new GgufWriter().addTensor("t", GgmlType.Q4_0, new long[] {33}, dst -> { }));
        assertEquals("tensor 't': row length 33 is not a multiple of Q4_0's block size 32", row.getMessage());
    }

    /** Offsets are 64-bit end to end: a tensor placed past 4 GiB in a sparse file reads back. */
    @Test
    void tensorDataBeyondFourGibibytes() throws Exception {
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > 16L << 30, "needs room for a (sparse) 4 GiB file");
        long bigElements = (1L << 30) + 8; // 4 GiB + 32 bytes of F32
        byte[] tail = pattern(64, 9);
        Path p = dir.resolve("sparse.gguf");
        new GgufWriter()
                .addTensor("big", GgmlType.F32, new long[] {bigElements}, dst -> dst.set(ValueLayout.JAVA_BYTE, dst.byteSize() - 1, (byte) 0x5A))
                .addTensor("after", GgmlType.I8, new long[] {64}, dst -> MemorySegment.copy(tail, 0, dst, ValueLayout.JAVA_BYTE, 0, 64))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            TensorInfo after = f.tensor("after");
            assertEquals(4L * bigElements, after.offset(), "aligned right after 'big'");
            assertArrayEquals(tail, f.data(after).toArray(ValueLayout.JAVA_BYTE));
            assertEquals((byte) 0x5A, f.data("big").get(ValueLayout.JAVA_BYTE, 4L * bigElements - 1));
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
