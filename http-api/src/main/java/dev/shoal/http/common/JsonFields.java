package dev.shoal.http.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Typed, strict reads of one JSON object of a request. Unknown fields are ignored (clients send many); a known
 * field of the wrong type is a 400 naming it. JSON {@code null} counts as absent, as in the OpenAI and Anthropic
 * APIs, where clients send {@code "stop": null} and the like. {@code prefix} makes nested names readable in
 * errors ({@code options.temperature}).
 */
public final class JsonFields {

    private final JsonNode node;
    private final String prefix;

    private JsonFields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    /** The request body as an object, or a 400 saying why it is not one. */
    public static JsonFields parse(String body) {
        if (body == null || body.isBlank()) {
            throw ApiException.invalid("the request body is empty; expected a JSON object", null);
        }
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw ApiException.invalid("malformed JSON in the request body: " + e.getOriginalMessage()
                    + (at != null ? " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")" : ""), null);
        }
        if (tree == null || !tree.isObject()) {
            throw ApiException.invalid("the request body must be a JSON object, got " + kind(tree), null);
        }
        return new JsonFields(tree, "");
    }

    public static JsonFields of(JsonNode node, String prefix) {
        return new JsonFields(node, prefix);
    }

    /** The full name of a field of this object, as errors show it. */
    public String param(String name) {
        return prefix + name;
    }

    public boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    public Optional<JsonNode> raw(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    public String requiredString(String name) {
        return string(name).orElseThrow(() -> ApiException.invalid(param(name) + ": field required", param(name)));
    }

    public Optional<String> string(String name) {
        return raw(name).map(v -> {
            if (!v.isTextual()) {
                throw wrongType(name, "a string", v);
            }
            return v.asText();
        });
    }

    public Optional<Boolean> bool(String name) {
        return raw(name).map(v -> {
            if (!v.isBoolean()) {
                throw wrongType(name, "a boolean", v);
            }
            return v.booleanValue();
        });
    }

    public boolean bool(String name, boolean otherwise) {
        return bool(name).orElse(otherwise);
    }

    public OptionalDouble number(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (!v.get().isNumber()) {
            throw wrongType(name, "a number", v.get());
        }
        return OptionalDouble.of(v.get().doubleValue());
    }

    /** A number in [lo, hi], or {@code otherwise} when absent. */
    public double number(String name, double otherwise, double lo, double hi) {
        OptionalDouble v = number(name);
        if (v.isEmpty()) {
            return otherwise;
        }
        double d = v.getAsDouble();
        if (!(d >= lo && d <= hi)) {
            throw ApiException.invalid(param(name) + " must be between " + fmt(lo) + " and " + fmt(hi) + ", got "
                    + fmt(d), param(name));
        }
        return d;
    }

    /** An integer; a number with a fraction, or one beyond 64 bits, is refused. */
    public OptionalLong integer(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        JsonNode n = v.get();
        if (!n.isNumber()) {
            throw wrongType(name, "an integer", n);
        }
        // 5.0 is accepted as 5: some clients serialise every number as a float
        if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) {
            throw ApiException.invalid(param(name) + " must be an integer, got " + n, param(name));
        }
        return OptionalLong.of(n.longValue());
    }

    /** An integer in [lo, hi], or {@code otherwise} when absent. */
    public long integer(String name, long otherwise, long lo, long hi) {
        OptionalLong v = integer(name);
        if (v.isEmpty()) {
            return otherwise;
        }
        long l = v.getAsLong();
        if (l < lo || l > hi) {
            throw ApiException.invalid(param(name) + " must be between " + lo + " and " + hi + ", got " + l,
                    param(name));
        }
        return l;
    }

    /** A string or an array of strings (OpenAI {@code stop}); empty when absent. */
    public List<String> stringOrStrings(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return List.of();
        }
        if (v.get().isTextual()) {
            return List.of(v.get().asText());
        }
        if (!v.get().isArray()) {
            throw wrongType(name, "a string or an array of strings", v.get());
        }
        return strings(name, v.get());
    }

    /** An array of strings; empty when absent. */
    public List<String> strings(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return List.of();
        }
        if (!v.get().isArray()) {
            throw wrongType(name, "an array of strings", v.get());
        }
        return strings(name, v.get());
    }

    private List<String> strings(String name, JsonNode array) {
        List<String> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode e = array.get(i);
            if (!e.isTextual()) {
                throw ApiException.invalid(param(name) + "[" + i + "]: expected a string, got " + kind(e),
                        param(name));
            }
            out.add(e.asText());
        }
        return out;
    }

    /** A nested object; an empty one when absent. */
    public JsonFields object(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return new JsonFields(Json.object(), param(name) + ".");
        }
        if (!v.get().isObject()) {
            throw wrongType(name, "an object", v.get());
        }
        return new JsonFields(v.get(), param(name) + ".");
    }

    /** An array of objects; empty when absent. */
    public List<JsonFields> objects(String name) {
        Optional<JsonNode> v = raw(name);
        if (v.isEmpty()) {
            return List.of();
        }
        if (!v.get().isArray()) {
            throw wrongType(name, "an array", v.get());
        }
        List<JsonFields> out = new ArrayList<>(v.get().size());
        for (int i = 0; i < v.get().size(); i++) {
            JsonNode e = v.get().get(i);
            if (!e.isObject()) {
                throw ApiException.invalid(param(name) + "[" + i + "]: expected an object, got " + kind(e),
                        param(name));
            }
            out.add(new JsonFields(e, param(name) + "[" + i + "]."));
        }
        return out;
    }

    public ApiException wrongType(String name, String expected, JsonNode got) {
        return ApiException.invalid("invalid type for " + param(name) + ": expected " + expected + ", got "
                + kind(got), param(name));
    }

    public static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case NUMBER -> "a number";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case BINARY, MISSING, POJO -> "an unsupported value";
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
