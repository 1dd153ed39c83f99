package dev.shoal.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed reads of single keys that fail with one line: {@code KEY = VALUE: must be WHAT}. Typesafe Config's own
 * errors name the origin file and line but not the allowed range, and some are several sentences long.
 */
final class ConfigReader {

    private final Config config;

    ConfigReader(Config config) {
        this.config = config;
    }

    /** The value as the user wrote it, for messages ({@code null} when absent or set to null). */
    String shown(String path) {
        if (!config.hasPathOrNull(path) || config.getIsNull(path)) {
            return "null";
        }
        ConfigValue v = config.getValue(path);
        return switch (v.valueType()) {
            case STRING -> {
                String s = (String) v.unwrapped();
                yield s.isEmpty() || s.chars().anyMatch(Character::isWhitespace) ? '"' + s + '"' : s;
            }
            case LIST, OBJECT -> v.render(com.typesafe.config.ConfigRenderOptions.concise());
            case NUMBER, BOOLEAN, NULL -> String.valueOf(v.unwrapped());
        };
    }

    SettingsException invalid(String path, String allowed) {
        return new SettingsException(path + " = " + shown(path) + ": must be " + allowed);
    }

    boolean has(String path) {
        return present(path);
    }

    private boolean present(String path) {
        return config.hasPath(path);
    }

    private boolean isWord(String path, String word) {
        return present(path) && config.getValue(path).valueType() == ConfigValueType.STRING
                && config.getString(path).strip().toLowerCase(Locale.ROOT).equals(word);
    }

    String string(String path, String allowed) {
        if (!present(path) || config.getValue(path).valueType() != ConfigValueType.STRING
                || config.getString(path).isBlank()) {
            throw invalid(path, allowed);
        }
        return config.getString(path).strip();
    }

    /** A list of objects (absent or null: empty), each as the path of its element ({@code path[i]} for messages). */
    List<com.typesafe.config.Config> objects(String path, String allowed) {
        if (!config.hasPathOrNull(path) || config.getIsNull(path)) {
            return List.of();
        }
        try {
            return new ArrayList<>(config.getConfigList(path));
        } catch (ConfigException.WrongType e) {
            throw invalid(path, allowed);
        }
    }

    /** A half-open range written {@code "start-end"} (0 ≤ start < end), or null when the key is absent. */
    int[] range(com.typesafe.config.Config in, String key, String shownPath) {
        if (!in.hasPath(key)) {
            return null;
        }
        String raw = in.getValue(key).unwrapped().toString().strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*-\\s*(\\d+)").matcher(raw);
        if (!m.matches()) {
            throw new SettingsException(shownPath + " = " + raw + ": must be a half-open range \"start-end\" such as "
                    + "\"0-16\"");
        }
        int start = Integer.parseInt(m.group(1));
        int end = Integer.parseInt(m.group(2));
        if (end <= start) {
            throw new SettingsException(shownPath + " = " + raw + ": must be a half-open range \"start-end\" with "
                    + "start < end");
        }
        return new int[] {start, end};
    }

    /** The keys directly under an object (e.g. one per model); an absent or null key has none. */
    java.util.Set<String> keys(String path, String allowed) {
        if (!config.hasPathOrNull(path) || config.getIsNull(path)) {
            return java.util.Set.of();
        }
        if (config.getValue(path).valueType() != ConfigValueType.OBJECT) {
            throw invalid(path, allowed);
        }
        return new java.util.TreeSet<>(config.getObject(path).keySet());
    }

    /** A string that may be empty (an absent key is an error: reference.conf defines every key). */
    String stringOrEmpty(String path, String allowed) {
        if (!present(path) || config.getValue(path).valueType() != ConfigValueType.STRING) {
            throw invalid(path, allowed);
        }
        return config.getString(path).strip();
    }

    /** {@code on}/{@code off}, {@code true}/{@code false} or {@code yes}/{@code no}, as HOCON reads booleans. */
    boolean bool(String path) {
        String allowed = "on or off";
        if (!present(path)) {
            throw invalid(path, allowed);
        }
        ConfigValueType t = config.getValue(path).valueType();
        if (t != ConfigValueType.BOOLEAN && t != ConfigValueType.STRING) {
            throw invalid(path, allowed);
        }
        try {
            return config.getBoolean(path);
        } catch (ConfigException e) {
            throw invalid(path, allowed);
        }
    }

    int integer(String path, int min, int max) {
        String allowed = "an integer between " + min + " and " + max;
        if (!present(path)) {
            throw invalid(path, allowed);
        }
        ConfigValue v = config.getValue(path);
        long n;
        try {
            n = switch (v.valueType()) {
                case NUMBER -> {
                    Number num = (Number) v.unwrapped();
                    if (num instanceof Double || num instanceof Float) {
                        throw invalid(path, allowed);
                    }
                    yield num.longValue();
                }
                case STRING -> Long.parseLong(((String) v.unwrapped()).strip());
                case LIST, OBJECT, BOOLEAN, NULL -> throw invalid(path, allowed);
            };
        } catch (NumberFormatException e) {
            throw invalid(path, allowed);
        }
        if (n < min || n > max) {
            throw invalid(path, allowed);
        }
        return (int) n;
    }

    /** An integer in range, or the word {@code auto} (then {@code auto} is returned). */
    int integerOrAuto(String path, int min, int max, int auto) {
        if (isWord(path, "auto")) {
            return auto;
        }
        try {
            return integer(path, min, max);
        } catch (SettingsException e) {
            throw invalid(path, "an integer between " + min + " and " + max + ", or \"auto\"");
        }
    }

    Duration duration(String path, Duration min, Duration max) {
        String allowed = "a duration between " + human(min) + " and " + human(max) + " (e.g. \"30 s\", \"5 m\")";
        Duration d = rawDuration(path, allowed);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw invalid(path, allowed);
        }
        return d;
    }

    /** A duration in range, or the word {@code off} (then null). */
    Duration durationOrOff(String path, Duration min, Duration max) {
        if (isWord(path, "off")) {
            return null;
        }
        try {
            return duration(path, min, max);
        } catch (SettingsException e) {
            throw invalid(path, "a duration between " + human(min) + " and " + human(max) + " (e.g. \"10 m\"), or "
                    + "\"off\"");
        }
    }

    /** A non-negative duration, or {@code forever} / a negative duration for {@code forever}. */
    Duration durationOrForever(String path, Duration forever) {
        String allowed = "a duration >= 0 (e.g. \"5 m\", \"30 s\", 0 to unload at once) or \"forever\"";
        if (isWord(path, "forever")) {
            return forever;
        }
        Duration d = rawDuration(path, allowed);
        return d.isNegative() ? forever : d;
    }

    private Duration rawDuration(String path, String allowed) {
        if (!present(path)) {
            throw invalid(path, allowed);
        }
        try {
            return config.getDuration(path);
        } catch (ConfigException e) {
            throw invalid(path, allowed);
        }
    }

    /** A size in bytes ("1 GB", "500 MiB", a number) of at least {@code min}. */
    long bytes(String path, long min, String allowed) {
        if (!present(path)) {
            throw invalid(path, allowed);
        }
        long n;
        try {
            n = config.getBytes(path);
        } catch (ConfigException e) {
            throw invalid(path, allowed);
        }
        if (n < min) {
            throw invalid(path, allowed);
        }
        return n;
    }

    java.util.OptionalLong bytesOrAuto(String path, long min) {
        String allowed = "\"auto\" or a size of at least " + min / (1024 * 1024) + " MiB (e.g. \"12 GiB\", \"800 MiB\")";
        if (isWord(path, "auto")) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(bytes(path, min, allowed));
    }

    List<String> stringList(String path, String allowed) {
        if (!present(path) || config.getValue(path).valueType() != ConfigValueType.LIST) {
            throw invalid(path, allowed);
        }
        List<String> out = new ArrayList<>();
        for (ConfigValue v : config.getList(path)) {
            if (v.valueType() != ConfigValueType.STRING || ((String) v.unwrapped()).isBlank()) {
                throw invalid(path, allowed);
            }
            out.add(((String) v.unwrapped()).strip());
        }
        return out;
    }

    static String human(Duration d) {
        if (d.isZero()) {
            return "0 s";
        }
        if (d.toMillis() % 3_600_000 == 0) {
            return d.toHours() + " h";
        }
        if (d.toMillis() % 60_000 == 0) {
            return d.toMinutes() + " m";
        }
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + " s";
        }
        return d.toMillis() + " ms";
    }
}
