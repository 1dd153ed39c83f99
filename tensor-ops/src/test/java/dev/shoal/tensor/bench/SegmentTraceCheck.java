package dev.shoal.tensor.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What a lockstep costs two tensor ranks, and what balancing work between them could win back, from the exchange
 * times {@code SliceSpeedCheck -Dtrace=FILE} writes for two ranks run side by side without exchanging anything. Not
 * a test: {@code SegmentTraceCheck FILE.rank0 FILE.rank1} ({@code bin/lockstep-bench} runs it).
 *
 * <p>A token of an L-layer model has 2L + 1 segments, each ending at an exchange: attention (ends at the attention
 * all-reduce), FFN (ends at the FFN all-reduce), and the output head (ends at the logits gather). Segment i of one
 * rank is paired with segment i of the other, so their difference is what the faster rank would wait. Printed, per
 * token after 8 warm-up tokens: each kind's median time and skew; the lockstep's time (every segment takes the
 * slower rank's time); with the head shared at run time, as the cluster does; and with a share {@code f} of FFN work
 * able to move between ranks, either set once per token from the previous token's FFN times (what a controller in
 * the step descriptor could do) or per segment with perfect knowledge (an upper bound for run-time sharing).
 */
public final class SegmentTraceCheck {

    private static final int WARM_TOKENS = 8;
    private static final double[] SWINGS = {0.05, 0.10, 0.20};

    private SegmentTraceCheck() {
    }

    public static void main(String[] args) throws Exception {
        long[] a = read(Path.of(args[0]));
        long[] b = read(Path.of(args[1]));
        int layers = layers(Path.of(args[0]));
        if (layers != layers(Path.of(args[1]))) {
            throw new IllegalArgumentException("the two traces are of models with different layer counts");
        }
        int perToken = 2 * layers + 1;
        int tokens = Math.min(a.length, b.length) / perToken;
        if (tokens <= WARM_TOKENS + 1) {
            throw new IllegalArgumentException("traces too short: " + tokens + " tokens of " + perToken
                    + " exchanges; run SliceSpeedCheck with more tokens");
        }
        // segment k of token t ends at stamp t·perToken + k and starts at the stamp before it
        int from = WARM_TOKENS * perToken;
        int to = tokens * perToken;
        int n = tokens - WARM_TOKENS;
        System.out.printf("%d tokens after %d warm-up, %d exchanges each%n", n, WARM_TOKENS, perToken);
        for (Kind kind : Kind.values()) {
            double[] ta = new double[n * kind.perToken(layers)];
            double[] tb = new double[ta.length];
            double[] skew = new double[ta.length];
            int c = 0;
            for (int s = from; s < to; s++) {
                if (Kind.of(s % perToken, layers) == kind) {
                    ta[c] = a[s] - a[s - 1];
                    tb[c] = b[s] - b[s - 1];
                    skew[c] = Math.abs(ta[c] - tb[c]);
                    c++;
                }
            }
            System.out.printf("%-9s median %6.0f / %6.0f µs; |skew| median %5.0f, p90 %5.0f, p99 %5.0f µs; "
                    + "%.2f ms a token%n", kind.label, median(ta) / 1e3, median(tb) / 1e3, median(skew) / 1e3,
                    quantile(skew, 0.9) / 1e3, quantile(skew, 0.99) / 1e3, Arrays.stream(skew).sum() / n / 1e6);
        }
        double alone0 = (a[to - 1] - a[from - 1]) / (double) n;
        double alone1 = (b[to - 1] - b[from - 1]) / (double) n;
        System.out.printf("each rank alone:       %6.2f / %6.2f ms a token%n", alone0 / 1e6, alone1 / 1e6);
        System.out.printf("lockstep:              %6.2f ms a token%n", simulate(a, b, from, to, perToken, layers,
                false, 0, Balance.NONE) / n / 1e6);
        double shared = simulate(a, b, from, to, perToken, layers, true, 0, Balance.NONE) / n / 1e6;
        System.out.printf("head shared:           %6.2f ms a token%n", shared);
        for (double f : SWINGS) {
            System.out.printf("+ FFN share %2.0f %%: per token %6.2f, per segment (bound) %6.2f ms a token%n",
                    f * 100, simulate(a, b, from, to, perToken, layers, true, f, Balance.PER_TOKEN) / n / 1e6,
                    simulate(a, b, from, to, perToken, layers, true, f, Balance.PER_SEGMENT) / n / 1e6);
        }
    }

    private enum Balance { NONE, PER_TOKEN, PER_SEGMENT }

    private enum Kind {
        ATTENTION("attention"), FFN("FFN"), HEAD("head");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The kind of the segment ending at a token's exchange {@code k}: attention, FFN alternately, then head. */
        static Kind of(int k, int layers) {
            return k == 2 * layers ? HEAD : k % 2 == 0 ? ATTENTION : FFN;
        }

        int perToken(int layers) {
            return this == HEAD ? 1 : layers;
        }
    }

    /**
     * Nanoseconds the segments in stamps {@code [from, to)} take together when both ranks must finish each one. A
     * shared head, and FFN work moved in the share {@code f}: rank 0 doing {@code 1 + x} of its work and rank 1
     * {@code 1 - x}, x at most f either way.
     */
    private static double simulate(long[] a, long[] b, int from, int to, int perToken, int layers,
                                   boolean headShared, double f, Balance balance) {
        double total = 0;
        double x = 0; // the per-token controller's share moved to rank 0
        double ffnA = 0;
        double ffnB = 0;
        for (int s = from; s < to; s++) {
            double p = a[s] - a[s - 1];
            double q = b[s] - b[s - 1];
            Kind kind = Kind.of(s % perToken, layers);
            if (kind == Kind.HEAD && headShared) {
                total += 2 * p * q / (p + q);
            } else if (kind == Kind.FFN && balance == Balance.PER_TOKEN) {
                total += Math.max(p * (1 + x), q * (1 - x));
                ffnA += p;
                ffnB += q;
            } else if (kind == Kind.FFN && balance == Balance.PER_SEGMENT) {
                // the shift that evens the two out, if within f: then both take the harmonic mean
                double even = (q - p) / (p + q);
                total += Math.abs(even) <= f ? 2 * p * q / (p + q) : Math.max(p * (1 + Math.signum(even) * f),
                        q * (1 - Math.signum(even) * f));
            } else {
                total += Math.max(p, q);
            }
            if (kind == Kind.HEAD && balance == Balance.PER_TOKEN) {
                x = Math.max(-f, Math.min(f, (ffnB - ffnA) / (ffnA + ffnB)));
                ffnA = 0;
                ffnB = 0;
            }
        }
        return total;
    }

    private static long[] read(Path p) throws Exception {
        List<String> lines = Files.readAllLines(p);
        return lines.stream().filter(l -> !l.isBlank() && !l.startsWith("#")).mapToLong(Long::parseLong).toArray();
    }

    /** The layer count from a trace's {@code # layers L} line. */
    private static int layers(Path p) throws Exception {
        for (String l : Files.readAllLines(p)) {
            if (l.startsWith("# layers ")) {
                return Integer.parseInt(l.substring("# layers ".length()).trim());
            }
        }
        throw new IllegalArgumentException(p + " has no '# layers L' line: not a SliceSpeedCheck -Dtrace file");
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (s.length * q))];
    }
}
