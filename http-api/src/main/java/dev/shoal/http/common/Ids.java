package dev.shoal.http.common;

import java.security.SecureRandom;
import java.time.Instant;

/** Response ids in the shapes clients know ({@code chatcmpl-…}, {@code msg_…}) and timestamps. */
public final class Ids {

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    /** {@code prefix} followed by 24 random base-62 characters. */
    public static String random(String prefix) {
        StringBuilder sb = new StringBuilder(prefix.length() + 24).append(prefix);
        for (int i = 0; i < 24; i++) {
            sb.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    public static long epochSeconds() {
        return Instant.now().getEpochSecond();
    }

    /** RFC 3339 with the fraction of a second, as Ollama's {@code created_at}; null stays null. */
    public static String rfc3339(Instant t) {
        return t == null ? null : t.toString();
    }
}
