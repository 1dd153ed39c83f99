package dev.shoal.node.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} flags of one sub-command, checked against the flags it accepts. Every error names the
 * flag and ends with the command's usage line, so the user sees in one line what to fix.
 */
public final class Flags {

    private final String usage;
    private final Map<String, String> values = new HashMap<>();

    private Flags(String usage) {
        this.usage = usage;
    }

    /** Parses {@code args}; {@code allowed} are flag names without dashes; {@code booleans} take no value. */
    public static Flags parse(String[] args, String usage, Set<String> allowed, Set<String> booleans) {
        Flags f = new Flags(usage);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw f.error("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!allowed.contains(name) && !booleans.contains(name)) {
                throw f.error("unknown flag --" + name);
            }
            if (booleans.contains(name)) {
                f.values.put(name, value == null ? "true" : value);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw f.error("--" + name + " needs a value");
                }
                value = args[++i];
            }
            if (f.values.put(name, value) != null) {
                throw f.error("--" + name + " given twice");
            }
        }
        return f;
    }

    public UsageException error(String what) {
        return new UsageException(what + "; usage: " + usage);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return "true".equals(values.get(name));
    }

    public String string(String name) {
        String v = values.get(name);
        if (v == null) {
            throw error("--" + name + " is required");
        }
        return v;
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public Path existingFile(String name) {
        Path p = Path.of(string(name));
        if (!Files.isRegularFile(p)) {
            throw error("--" + name + " " + p + ": no such file");
        }
        return p;
    }

    public int integer(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw error("--" + name + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw error("--" + name + " must be a whole number, got '" + v + "'");
        }
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw error("--" + name + " must be a whole number, got '" + v + "'");
        }
    }

    public double number(String name, double fallback, double min, double max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= min && d <= max)) {
                throw error("--" + name + " must be between " + min + " and " + max + ", got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw error("--" + name + " must be a number, got '" + v + "'");
        }
    }
}
