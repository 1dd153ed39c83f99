package dev.shoal.tensor.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The key/value section of a GGUF file in file order, with typed accessors. A required key that is absent, or a
 * key of the wrong type, raises {@link GgufFormatException} naming the key and what was found.
 */
public final class GgufMetadata {

    private final String source;
    private final Map<String, MetadataValue> values;

    public GgufMetadata(String source, Map<String, MetadataValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** All entries in file order. */
    public Map<String, MetadataValue> entries() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Optional<MetadataValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String string(String key) {
        return optString(key).orElseThrow(() -> missing(key, "string"));
    }

    public Optional<String> optString(String key) {
        MetadataValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, "string", v);
        }
        return Optional.of((String) v.value());
    }

    /** An integer of any GGUF integer type; UINT32 arrives unsigned. */
    public long integer(String key) {
        OptionalLong v = optInteger(key);
        if (v.isEmpty()) {
            throw missing(key, "integer");
        }
        return v.getAsLong();
    }

    public OptionalLong optInteger(String key) {
        MetadataValue v = values.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.type().isInteger()) {
            throw wrongType(key, "integer", v);
        }
        return OptionalLong.of(((Number) v.value()).longValue());
    }

    /** A FLOAT32 or FLOAT64 value (integers are accepted too: some converters write them). */
    public double number(String key) {
        OptionalDouble v = optNumber(key);
        if (v.isEmpty()) {
            throw missing(key, "number");
        }
        return v.getAsDouble();
    }

    public OptionalDouble optNumber(String key) {
        MetadataValue v = values.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        if (v.type() == GgufValueType.FLOAT32 || v.type() == GgufValueType.FLOAT64 || v.type().isInteger()) {
            return OptionalDouble.of(((Number) v.value()).doubleValue());
        }
        throw wrongType(key, "number", v);
    }

    public Optional<Boolean> optBool(String key) {
        MetadataValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v.type() != GgufValueType.BOOL) {
            throw wrongType(key, "bool", v);
        }
        return Optional.of((Boolean) v.value());
    }

    public String[] strings(String key) {
        return array(key, String[].class, "array of strings");
    }

    public Optional<String[]> optStrings(String key) {
        return has(key) ? Optional.of(strings(key)) : Optional.empty();
    }

    public float[] floats(String key) {
        return array(key, float[].class, "array of float32");
    }

    public Optional<float[]> optFloats(String key) {
        return has(key) ? Optional.of(floats(key)) : Optional.empty();
    }

    /** An array of any integer element type, widened to int (token types, ids). */
    public int[] ints(String key) {
        MetadataValue v = values.get(key);
        if (v == null) {
            throw missing(key, "array of integers");
        }
        if (v.type() == GgufValueType.ARRAY) {
            if (v.value() instanceof int[] a) {
                return a.clone();
            }
            if (v.value() instanceof long[] a) {
                int[] out = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = Math.toIntExact(a[i]);
                }
                return out;
            }
        }
        throw wrongType(key, "array of integers", v);
    }

    public Optional<int[]> optInts(String key) {
        return has(key) ? Optional.of(ints(key)) : Optional.empty();
    }

    private <T> T array(String key, Class<T> javaType, String what) {
        MetadataValue v = values.get(key);
        if (v == null) {
            throw missing(key, what);
        }
        if (v.type() != GgufValueType.ARRAY || !javaType.isInstance(v.value())) {
            throw wrongType(key, what, v);
        }
        return javaType.cast(v.value());
    }

    private GgufFormatException missing(String key, String what) {
        return new GgufFormatException(source + ": metadata key '" + key + "' (" + what + ") is missing");
    }

    private GgufFormatException wrongType(String key, String what, MetadataValue v) {
        String found = v.type() == GgufValueType.ARRAY ? "array of " + v.elementType() : v.type().toString();
        return new GgufFormatException(source + ": metadata key '" + key + "' should be " + what + " but is " + found);
    }
}
