package dev.shoal.tensor.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenHistoryTest {

    @Test
    void countsFollowASlidingWindow() {
        TokenHistory h = new TokenHistory(3);
        h.addAll(new int[] {7, 7, 9});
        assertEquals(2, h.count(7));
        assertEquals(1, h.count(9));
        assertEquals(2, h.distinctTokens());
        h.add(4); // the first 7 leaves
        assertEquals(1, h.count(7));
        h.add(4); // the second 7 leaves
        assertEquals(0, h.count(7));
        assertEquals(2, h.distinctTokens());
        assertEquals(3, h.size());
    }

    @Test
    void matchesAReferenceUnderRandomTraffic() {
        // small id ranges force probe collisions, deletions in the middle of runs, and table growth
        SplittableRandom r = new SplittableRandom(11);
        for (int window : new int[] {-1, 1, 5, 64, 1000}) {
            for (int range : new int[] {3, 40, 100_000}) {
                TokenHistory h = new TokenHistory(window);
                ArrayDeque<Integer> ring = new ArrayDeque<>();
                Map<Integer, Integer> ref = new HashMap<>();
                for (int step = 0; step < 20_000; step++) {
                    int t = r.nextInt(range);
                    h.add(t);
                    ring.addLast(t);
                    ref.merge(t, 1, Integer::sum);
                    if (window > 0 && ring.size() > window) {
                        int old = ring.removeFirst();
                        if (ref.merge(old, -1, Integer::sum) == 0) {
                            ref.remove(old);
                        }
                    }
                    if (step % 97 == 0) {
                        for (int probe = 0; probe < 20; probe++) {
                            int q = r.nextInt(range);
                            assertEquals(ref.getOrDefault(q, 0), h.count(q),
                                    "window " + window + " range " + range + " step " + step + " token " + q);
                        }
                        assertEquals(ref.size(), h.distinctTokens());
                        int sum = 0;
                        for (int s = 0; s < h.slots(); s++) {
                            if (h.tokenAt(s) >= 0) {
                                assertEquals((int) ref.get(h.tokenAt(s)), h.countAt(s));
                                sum++;
                            }
                        }
                        assertEquals(ref.size(), sum);
                    }
                }
            }
        }
    }

    @Test
    void windowZeroRecordsNothingAndClearEmpties() {
        TokenHistory off = new TokenHistory(0);
        off.addAll(new int[] {1, 2, 3});
        assertEquals(0, off.count(1));
        assertEquals(0, off.size());

        TokenHistory h = new TokenHistory(-1);
        h.addAll(new int[] {1, 2, 2});
        assertEquals(3, h.size());
        h.clear();
        assertEquals(0, h.count(2));
        assertEquals(0, h.distinctTokens());
        h.add(2);
        assertEquals(1, h.count(2));
    }

    @Test
    void rejectsBadInput() {
        assertEquals("window must be -1 (whole context), 0 (off) or positive, got -2",
                assertThrows(IllegalArgumentException.class, () -> new TokenHistory(-2)).getMessage());
        assertEquals("token ids are non-negative, got -1",
                assertThrows(IllegalArgumentException.class, () -> new TokenHistory(4).add(-1)).getMessage());
    }

    @Test
    void aHugeWindowCostsOnlyWhatIsUsed() {
        TokenHistory h = new TokenHistory(Integer.MAX_VALUE);
        for (int i = 0; i < 1000; i++) {
            h.add(i);
        }
        assertEquals(1000, h.size());
        assertEquals(1, h.count(999));
    }
}
