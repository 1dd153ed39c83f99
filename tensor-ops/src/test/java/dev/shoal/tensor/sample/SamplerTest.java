package dev.shoal.tensor.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {

    /** Temperature 1, every filter and penalty off: a plain softmax draw. */
    private static final SamplingParams PLAIN = SamplingParams.greedy().withTemperature(1.0);

    private static float[] randomLogits(SplittableRandom r, int n, boolean withTies) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = withTies ? r.nextInt(8) : (float) (r.nextGaussian() * 3);
        }
        return l;
    }

    /** Reference ordering: logit descending, then id ascending. */
    private static Integer[] ranked(float[] logits) {
        Integer[] ids = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        return ids;
    }

    private static int argmax(float[] l) {
        return ranked(l)[0];
    }

    private static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    private static Set<Integer> set(int[] a) {
        Set<Integer> s = new HashSet<>();
        for (int v : a) {
            s.add(v);
        }
        return s;
    }

    @Test
    void greedyIsArgmaxWithTiesToLowestId() {
        SplittableRandom r = new SplittableRandom(1);
        Sampler s = new Sampler(SamplingParams.greedy());
        for (int round = 0; round < 200; round++) {
            float[] l = randomLogits(r, 1 + r.nextInt(3000), round % 2 == 0);
            assertEquals(argmax(l), s.sample(l, l.length, null), "round " + round);
        }
        assertEquals(2, s.sample(new float[] {1, 3, 5, 5, 2}, 5, null));
        // only the first vocabSize logits count (padded logit rows)
        assertEquals(1, s.sample(new float[] {1, 3, 2, 99}, 3, null));
    }

    @Test
    void nanLogitsAreNeverChosen() {
        Sampler greedy = new Sampler(SamplingParams.greedy());
        assertEquals(2, greedy.sample(new float[] {Float.NaN, 1, 4, 3}, 4, null));
        Sampler hot = new Sampler(PLAIN.withTemperature(5));
        for (int i = 0; i < 2000; i++) {
            assertNotEquals(0, hot.sample(new float[] {Float.NaN, 1, 1.5f, 0.5f}, 4, null));
        }
        // all -inf: nothing to draw from; the deterministic answer is id 0
        float[] dead = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertEquals(0, hot.sample(dead, 2, null));
    }

    @Test
    void sameSeedSameSequenceAndDifferentSeedDifferentSequence() {
        float[] l = randomLogits(new SplittableRandom(2), 500, false);
        for (int i = 0; i < l.length; i++) {
            l[i] *= 0.3f; // a flat distribution, so that draws differ
        }
        SamplingParams p = SamplingParams.defaults().withTemperature(1.5).withTopK(0).withMinP(0).withSeed(1234);
        int[] a = draws(new Sampler(p), l, 300);
        int[] b = draws(new Sampler(p), l, 300);
        int[] c = draws(new Sampler(p.withSeed(1235)), l, 300);
        assertArrayEquals(a, b);
        assertTrue(set(a).size() > 20, "the draw should be spread, got " + set(a).size() + " distinct tokens");
        long same = IntStream.range(0, a.length).filter(i -> a[i] == c[i]).count();
        assertTrue(same < a.length / 4, "different seeds agreed on " + same + " of " + a.length + " draws");
    }

    private static int[] draws(Sampler s, float[] l, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(l, l.length, null);
        }
        return out;
    }

    @Test
    void temperatureDrawFrequenciesMatchTheSoftmax() {
        float[] l = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.5f};
        for (double t : new double[] {0.7, 1.0, 2.5}) {
            Sampler s = new Sampler(PLAIN.withTemperature(t).withSeed(99));
            int n = 200_000;
            int[] hits = new int[l.length];
            for (int i = 0; i < n; i++) {
                hits[s.sample(l, l.length, null)]++;
            }
            double[] p = softmax(l, t);
            double chi2 = 0;
            for (int i = 0; i < l.length; i++) {
                double expected = p[i] * n;
                double sigma = Math.sqrt(n * p[i] * (1 - p[i]));
                assertTrue(Math.abs(hits[i] - expected) < 5 * sigma,
                        "T=" + t + " token " + i + ": " + hits[i] + " hits, expected " + expected);
                chi2 += (hits[i] - expected) * (hits[i] - expected) / expected;
            }
            // 5 degrees of freedom: P(chi2 > 25) ~ 1.4e-4
            assertTrue(chi2 < 25, "T=" + t + " chi2 " + chi2);
        }
    }

    @Test
    void topKOfOneIsGreedyEvenWhenHot() {
        SplittableRandom r = new SplittableRandom(3);
        Sampler s = new Sampler(PLAIN.withTemperature(3).withTopK(1));
        for (int round = 0; round < 300; round++) {
            float[] l = randomLogits(r, 1 + r.nextInt(2000), round % 3 == 0);
            assertEquals(argmax(l), s.sample(l, l.length, null), "round " + round);
        }
    }

    @Test
    void topKKeepsExactlyTheKBestWithTiesByLowestId() {
        SplittableRandom r = new SplittableRandom(4);
        for (int round = 0; round < 200; round++) {
            int n = 1 + r.nextInt(5000);
            float[] l = randomLogits(r, n, round % 2 == 0);
            int k = 1 + r.nextInt(Math.min(n, 300));
            Sampler s = new Sampler(PLAIN.withTopK(k));
            Integer[] ref = ranked(l);
            Set<Integer> expected = new HashSet<>(Arrays.asList(ref).subList(0, Math.min(k, n)));
            assertEquals(expected, set(s.candidates(l, n, null)), "round " + round + " n=" + n + " k=" + k);
        }
    }

    @Test
    void topKDrawFrequenciesAreRenormalisedOverTheSurvivors() {
        float[] l = {0.0f, 2.0f, 1.0f, 1.5f, -0.5f};
        Sampler s = new Sampler(PLAIN.withTopK(3).withSeed(5));
        int n = 100_000;
        int[] hits = new int[l.length];
        for (int i = 0; i < n; i++) {
            hits[s.sample(l, l.length, null)]++;
        }
        assertEquals(0, hits[0]);
        assertEquals(0, hits[4]);
        double[] p = softmax(new float[] {2.0f, 1.0f, 1.5f}, 1);
        int[] kept = {1, 2, 3};
        for (int j = 0; j < 3; j++) {
            double sigma = Math.sqrt(n * p[j] * (1 - p[j]));
            assertTrue(Math.abs(hits[kept[j]] - p[j] * n) < 5 * sigma, "token " + kept[j] + ": " + hits[kept[j]]);
        }
    }

    @Test
    void topPKeepsTheMinimalNucleus() {
        // probabilities 0.5, 0.25, 0.15, 0.1 (ids shuffled so order is not id order)
        float[] l = {(float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.1), (float) Math.log(0.25)};
        assertEquals(Set.of(1), set(new Sampler(PLAIN.withTopP(0.45)).candidates(l, 4, null)));
        assertEquals(Set.of(1, 3), set(new Sampler(PLAIN.withTopP(0.55)).candidates(l, 4, null)));
        assertEquals(Set.of(1, 3), set(new Sampler(PLAIN.withTopP(0.74)).candidates(l, 4, null)));
        assertEquals(Set.of(1, 3, 0), set(new Sampler(PLAIN.withTopP(0.76)).candidates(l, 4, null)));
        assertEquals(Set.of(1, 3, 0, 2), set(new Sampler(PLAIN.withTopP(0.95)).candidates(l, 4, null)));
        // top-p judges the untempered distribution (temperature comes last, as in llama.cpp)
        assertEquals(Set.of(1, 3), set(new Sampler(PLAIN.withTopP(0.74).withTemperature(5)).candidates(l, 4, null)));
        // and the distribution left by top-k: over {0.5, 0.25} the first token alone is 2/3 of the mass
        assertEquals(Set.of(1), set(new Sampler(PLAIN.withTopK(2).withTopP(0.6)).candidates(l, 4, null)));
    }

    @Test
    void topPMatchesAReferenceOnLargeVocabularies() {
        // nuclei far larger than the first 64-candidate chunk exercise the incremental partial sort
        SplittableRandom r = new SplittableRandom(6);
        for (int round = 0; round < 60; round++) {
            int n = 1000 + r.nextInt(20_000);
            float[] l = randomLogits(r, n, round % 4 == 0);
            if (round % 2 == 1) {
                for (int i = 0; i < n; i++) {
                    l[i] *= 0.05f; // flat distribution: a nucleus of thousands
                }
            }
            double topP = 0.05 + 0.9 * r.nextDouble();
            Integer[] ref = ranked(l);
            double[] p = softmax(l, 1);
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[ref[i]];
                if (cum >= topP) {
                    keep = i + 1;
                    break;
                }
            }
            int[] got = new Sampler(PLAIN.withTopP(topP)).candidates(l, n, null);
            // a rounding difference in the running sum may move the cut by one token right at the boundary
            assertTrue(Math.abs(got.length - keep) <= 1, "round " + round + ": kept " + got.length + ", expected " + keep);
            int common = Math.min(got.length, keep);
            for (int i = 0; i < common; i++) {
                assertEquals((int) ref[i], got[i], "round " + round + " rank " + i);
            }
        }
    }

    @Test
    void minPCutsBelowTheFractionOfTheBest() {
        // probabilities 0.5, 0.2, 0.12, 0.1, 0.08
        float[] l = {(float) Math.log(0.12), (float) Math.log(0.5), (float) Math.log(0.08), (float) Math.log(0.2),
            (float) Math.log(0.1)};
        assertEquals(Set.of(1, 3), set(new Sampler(PLAIN.withMinP(0.3)).candidates(l, 5, null)));
        assertEquals(Set.of(1, 3, 0), set(new Sampler(PLAIN.withMinP(0.23)).candidates(l, 5, null)));
        assertEquals(Set.of(1), set(new Sampler(PLAIN.withMinP(0.5)).candidates(l, 5, null)));
        assertEquals(Set.of(0, 1, 2, 3, 4), set(new Sampler(PLAIN.withMinP(0.1)).candidates(l, 5, null)));
        // min-p comes after top-p: the nucleus {0.5, 0.2} then min-p 0.3 keeps both; min-p 0.5 keeps one
        assertEquals(Set.of(1, 3), set(new Sampler(PLAIN.withTopP(0.65).withMinP(0.3)).candidates(l, 5, null)));
        assertEquals(Set.of(1), set(new Sampler(PLAIN.withTopP(0.65).withMinP(0.5)).candidates(l, 5, null)));
        // and nothing below the threshold is ever drawn
        Sampler s = new Sampler(PLAIN.withMinP(0.3).withTemperature(10).withSeed(8));
        for (int i = 0; i < 5000; i++) {
            int t = s.sample(l, 5, null);
            assertTrue(t == 1 || t == 3, "drew " + t);
        }
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNonPositiveLogits() {
        float[] l = {2.0f, -1.0f, 0.0f, 3.0f, 1.5f};
        SamplingParams p = SamplingParams.greedy().withRepetitionPenalty(1.3);
        Sampler s = new Sampler(p);
        TokenHistory h = s.newHistory();
        h.addAll(new int[] {0, 1, 0, 2});
        float rp = 1.3f;
        assertArrayEquals(new float[] {2.0f / rp, -1.0f * rp, 0.0f, 3.0f, 1.5f}, s.penalisedLogits(l, 5, h));
        // the caller's logits are untouched
        assertArrayEquals(new float[] {2.0f, -1.0f, 0.0f, 3.0f, 1.5f}, l);
    }

    @Test
    void frequencyAndPresencePenaltiesSubtractPerCountAndOnce() {
        float[] l = {2.0f, -1.0f, 0.5f, 3.0f, 1.5f};
        Sampler freq = new Sampler(SamplingParams.greedy().withFrequencyPenalty(0.5));
        TokenHistory h = freq.newHistory();
        h.addAll(new int[] {3, 3, 3, 1, 4, 3});
        assertArrayEquals(new float[] {2.0f, -1.0f - 0.5f, 0.5f, 3.0f - 4 * 0.5f, 1.5f - 0.5f},
                freq.penalisedLogits(l, 5, h));
        Sampler presence = new Sampler(SamplingParams.greedy().withPresencePenalty(0.75));
        assertArrayEquals(new float[] {2.0f, -1.0f - 0.75f, 0.5f, 3.0f - 0.75f, 1.5f - 0.75f},
                presence.penalisedLogits(l, 5, h));
        // negative values reward repetition
        Sampler reward = new Sampler(SamplingParams.greedy().withPresencePenalty(-1));
        assertArrayEquals(new float[] {2.0f, 0.0f, 0.5f, 4.0f, 2.5f}, reward.penalisedLogits(l, 5, h));
    }

    @Test
    void penaltiesCombineInLlamaCppOrder() {
        float[] l = {2.0f, -1.0f, 0.5f};
        Sampler s = new Sampler(SamplingParams.greedy().withRepetitionPenalty(2).withFrequencyPenalty(0.25)
                .withPresencePenalty(0.5));
        TokenHistory h = s.newHistory();
        h.addAll(new int[] {0, 0, 1});
        // token 0: 2/2 - (2*0.25 + 0.5) = 0; token 1: -1*2 - (0.25 + 0.5) = -2.75
        assertArrayEquals(new float[] {0.0f, -2.75f, 0.5f}, s.penalisedLogits(l, 3, h));
        // and it changes the greedy choice
        assertEquals(2, s.sample(l, 3, h));
        assertEquals(0, new Sampler(SamplingParams.greedy()).sample(l, 3, null));
    }

    @Test
    void penaltiesOnlySeeTheLastNTokens() {
        float[] l = {1.0f, 1.0f, 1.0f, 1.0f};
        Sampler s = new Sampler(SamplingParams.greedy().withPresencePenalty(1).withPenaltyLastN(3));
        TokenHistory h = s.newHistory();
        h.addAll(new int[] {0, 1, 2, 3}); // 0 has left the window
        assertArrayEquals(new float[] {1.0f, 0.0f, 0.0f, 0.0f}, s.penalisedLogits(l, 4, h));
        assertEquals(0, s.sample(l, 4, h));

        Sampler whole = new Sampler(SamplingParams.greedy().withFrequencyPenalty(1).withPenaltyLastN(-1));
        TokenHistory all = whole.newHistory();
        for (int i = 0; i < 1000; i++) {
            all.add(i % 2);
        }
        assertArrayEquals(new float[] {1 - 500f, 1 - 500f, 1.0f, 1.0f}, whole.penalisedLogits(l, 4, all));

        Sampler off = new Sampler(SamplingParams.greedy().withPresencePenalty(1).withPenaltyLastN(0));
        TokenHistory none = off.newHistory();
        none.addAll(new int[] {0, 1, 2});
        assertArrayEquals(l, off.penalisedLogits(l, 4, none));
    }

    @Test
    void historyTokensOutsideTheVocabularyAreIgnored() {
        Sampler s = new Sampler(SamplingParams.greedy().withPresencePenalty(1));
        TokenHistory h = s.newHistory();
        h.addAll(new int[] {1, 70_000});
        assertArrayEquals(new float[] {0.0f, -1.0f}, s.penalisedLogits(new float[] {0, 0}, 2, h));
    }

    @Test
    void sampleRejectsMisuse() {
        Sampler s = new Sampler(SamplingParams.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.sample(new float[4], 5, null));
        assertEquals("vocabSize 5 does not fit logits of length 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.sample(new float[4], 0, null));
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> s.sample(new float[4], 4, new TokenHistory(10)));
        assertTrue(w.getMessage().contains("history window 10 differs from penaltyLastN 64"), w.getMessage());
    }

    @Test
    void aCallAllocatesNothingAfterTheFirst() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[] l = randomLogits(new SplittableRandom(7), 32_000, false);
        Sampler s = new Sampler(SamplingParams.defaults().withTopK(0).withRepetitionPenalty(1.1));
        TokenHistory h = s.newHistory();
        h.addAll(new int[] {5, 6, 7, 8, 5});
        Sampler greedy = new Sampler(SamplingParams.greedy());
        for (int i = 0; i < 200; i++) {
            s.sample(l, l.length, h);
            greedy.sample(l, l.length, null);
        }
        long tid = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(tid);
        int sink = 0;
        for (int i = 0; i < 500; i++) {
            sink += s.sample(l, l.length, h);
            sink += greedy.sample(l, l.length, null);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // one candidate buffer alone would be 128 KB per call; allow a little for the measurement itself
        assertTrue(allocated < 16 * 1024, "1000 calls allocated " + allocated + " bytes (sink " + sink + ")");
    }
}
