package dev.shoal.http.support;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads one sample from Prometheus text exposition. */
public final class Metrics {

    private Metrics() {
    }

    /** The value of {@code series} (name with its labels exactly as exposed), or 0 when absent. */
    public static double value(String exposition, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
