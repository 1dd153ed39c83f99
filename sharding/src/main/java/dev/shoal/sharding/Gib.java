package dev.shoal.sharding;

import java.util.Locale;

/**
 * Byte counts as people read them in rejection messages: GiB with one decimal, always a dot. When a need and a free
 * figure would print alike ("needs 21.5 GiB … has 21.5 GiB free"), {@link #decimalsToTell} gives the few more
 * decimals that show the difference.
 */
final class Gib {

    private static final double BYTES = 1L << 30;

    private Gib() {
    }

    /** "41.2 GiB". */
    static String of(long bytes) {
        return of(bytes, 1);
    }

    static String of(long bytes, int decimals) {
        return number(bytes, decimals) + " GiB";
    }

    /** "41.2". */
    static String number(long bytes) {
        return number(bytes, 1);
    }

    static String number(long bytes, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", bytes / BYTES);
    }

    /** One decimal, or up to three when that is what it takes for {@code need} and {@code free} to read apart. */
    static int decimalsToTell(long need, long free) {
        for (int d = 1; d < 3; d++) {
            if (!number(need, d).equals(number(free, d))) {
                return d;
            }
        }
        return 3;
    }
}
