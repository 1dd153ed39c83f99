package dev.shoal.http.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.JsonFields;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: a number of seconds, or a Go duration string ({@code "5m"}, {@code "1h30m"},
 * {@code "0"}); negative means "keep loaded forever", zero "unload right after".
 */
public final class KeepAlive {

    /** "Forever", kept finite so that adding it to now cannot overflow an {@link java.time.Instant}. */
    public static final Duration FOREVER = Duration.ofDays(365L * 100);

    private static final String NUMBER = "(?:\\d+(?:\\.\\d*)?|\\.\\d+)";
    private static final String UNIT = "(?:ns|us|µs|μs|ms|s|m|h)";
    private static final Pattern WHOLE = Pattern.compile("([+-]?)((?:" + NUMBER + UNIT + ")+)");
    private static final Pattern PART = Pattern.compile("(" + NUMBER + ")(" + UNIT + ")");

    private KeepAlive() {
    }

    /** The request's keep-alive, or null when absent (the node's default applies). */
    public static Duration parse(JsonFields f, String name) {
        JsonNode v = f.raw(name).orElse(null);
        if (v == null) {
            return null;
        }
        if (v.isNumber()) {
            return seconds(v.decimalValue());
        }
        if (!v.isTextual()) {
            throw f.wrongType(name, "a duration string such as \"5m\" or a number of seconds", v);
        }
        String s = v.asText().trim();
        if (s.matches("[+-]?\\d+(\\.\\d+)?")) {
            return seconds(new BigDecimal(s)); // Go would refuse a unit-less "300"; reading it as seconds is kinder
        }
        Matcher whole = WHOLE.matcher(s);
        if (!whole.matches()) {
            throw ApiException.invalid(name + ": invalid duration '" + v.asText() + "'; expected e.g. \"5m\", "
                    + "\"1h30m\", \"0\" or a number of seconds", name);
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher part = PART.matcher(whole.group(2));
        while (part.find()) {
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(BigDecimal.valueOf(unitNanos(part.group(2)))));
        }
        return seconds(whole.group(1).equals("-") ? nanos.negate().movePointLeft(9) : nanos.movePointLeft(9));
    }

    // Compared in seconds: FOREVER in nanoseconds would be near a long's limit.
    private static Duration seconds(BigDecimal s) {
        if (s.signum() < 0 || s.compareTo(BigDecimal.valueOf(FOREVER.getSeconds())) >= 0) {
            return FOREVER;
        }
        BigDecimal whole = s.setScale(0, java.math.RoundingMode.DOWN);
        return Duration.ofSeconds(whole.longValue(), s.subtract(whole).movePointRight(9).longValue());
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException("unit " + unit); // the pattern admits no other
        };
    }
}
