package dev.shoal.tensor.gguf;

import java.util.Arrays;

/**
 * One GGUF metadata value with its on-disk type, so that a file can be written back unchanged.
 *
 * <p>Java shape of {@code value} per type: UINT8/INT8/UINT16/INT16/INT32 → {@link Integer}; UINT32, UINT64,
 * INT64 → {@link Long} (UINT32 is read unsigned; UINT64 keeps its 64 bits and is unsigned by contract);
 * FLOAT32 → {@link Float}; FLOAT64 → {@link Double}; BOOL → {@link Boolean}; STRING → {@link String}.
 * ARRAY → a primitive Java array chosen by {@code elementType}: {@code int[]} for the small integer types,
 * {@code long[]} for UINT32/UINT64/INT64, {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}; nested arrays are {@code MetadataValue[]}.
 */
public record MetadataValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static MetadataValue of(GgufValueType type, Object value) {
        return new MetadataValue(type, null, value);
    }

    public static MetadataValue string(String s) {
        return of(GgufValueType.STRING, s);
    }

    public static MetadataValue uint32(long v) {
        return of(GgufValueType.UINT32, v);
    }

    public static MetadataValue int32(int v) {
        return of(GgufValueType.INT32, v);
    }

    public static MetadataValue float32(float v) {
        return of(GgufValueType.FLOAT32, v);
    }

    public static MetadataValue bool(boolean v) {
        return of(GgufValueType.BOOL, v);
    }

    public static MetadataValue array(GgufValueType elementType, Object javaArray) {
        return new MetadataValue(GgufValueType.ARRAY, elementType, javaArray);
    }

    /** Number of elements of an array value. */
    public int length() {
        if (type != GgufValueType.ARRAY) {
            throw new IllegalStateException("not an array: " + type);
        }
        return java.lang.reflect.Array.getLength(value);
    }

    @Override
    public String toString() {
        if (type != GgufValueType.ARRAY) {
            return type + ":" + value;
        }
        int n = length();
        String head = switch (value) {
            case String[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case int[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case long[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case float[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            default -> "…";
        };
        return "ARRAY<" + elementType + ">[" + n + "]" + head;
    }
}
