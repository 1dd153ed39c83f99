package dev.shoal.tensor.sample;

import java.util.List;

/**
 * Watches generated text for stop strings, piece by piece, and says what may be shown to the user now.
 *
 * <p>A piece can end with the first characters of a stop string ("…\nUs" of "\nUser:"), so that tail is held
 * back until the next piece settles it: either the stop string completes (the text before it is emitted, the
 * stop string and anything after it never are) or it does not (the held text is released). Emitted text
 * concatenated over all steps plus {@link #flush()} is exactly the generated text up to the first stop string.
 * When several stop strings match, the one starting earliest wins, then the one listed first.
 *
 * <p>One instance per sequence; not thread-safe. The held tail is shorter than the longest stop string, so the
 * per-piece cost is bounded by the stop strings' lengths, not by the text generated so far.
 */
public final class StopStrings {

    /** What one {@link #accept} call yields. */
    public sealed interface Step permits Emit, Stopped {
        /** Text that is safe to show now (may be empty). */
        String text();
    }

    /** No stop string yet; {@code text} may be shown. */
    public record Emit(String text) implements Step {
    }

    /** {@code stop} was hit; {@code text} is what preceded it since the last step. Generation should end. */
    public record Stopped(String text, String stop) implements Step {
    }

    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got " + stops);
            }
        }
        this.stops = List.copyOf(stops);
    }

    public static StopStrings none() {
        return new StopStrings(List.of());
    }

    public List<String> stops() {
        return stops;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Feeds the next piece of generated text. */
    public Step accept(String piece) {
        if (stopped) {
            throw new IllegalStateException("a stop string was already hit; generation should have ended");
        }
        if (stops.isEmpty()) {
            return new Emit(piece);
        }
        pending.append(piece);
        int at = -1;
        String hit = null;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                hit = s;
            }
        }
        if (hit != null) {
            stopped = true;
            String before = pending.substring(0, at);
            pending.setLength(0);
            return new Stopped(before, hit);
        }
        int hold = heldTail();
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return new Emit(out);
    }

    /** At the end of generation (no stop hit): the held-back tail, which turned out to be plain text. */
    public String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    // Longest suffix of the pending text that is a proper prefix of some stop string.
    private int heldTail() {
        int len = pending.length();
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, len); k > hold; k--) {
                if (regionEquals(len - k, s, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    private boolean regionEquals(int from, String s, int k) {
        for (int i = 0; i < k; i++) {
            if (pending.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
