package dev.shoal.tensor.tokenizer;

import java.util.Arrays;
import java.util.Map;

/**
 * BPE merges keyed by the pair of token ids they join: (left id, right id) → rank (position in
 * {@code tokenizer.ggml.merges}, lower merges first) and the id of the joined token. Open addressing over
 * primitive arrays, because Llama 3 has 280k merges and encoding does one lookup per candidate pair.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] results;
    private final int mask;
    private int size;
    private int skipped;

    private MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        results = new int[capacity];
        mask = capacity - 1;
    }

    /**
     * Parses {@code "left right"} merge strings (split at the first space after the first char, as llama.cpp
     * does). A merge whose parts or result are not tokens can never fire on id-level symbols and is skipped; a
     * repeated pair keeps its first (lowest) rank.
     */
    static MergeTable parse(String[] merges, Map<String, Integer> ids) {
        MergeTable t = new MergeTable(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            int space = m.indexOf(' ', 1);
            if (space < 0) {
                t.skipped++;
                continue;
            }
            String left = m.substring(0, space);
            String right = m.substring(space + 1);
            Integer a = ids.get(left);
            Integer b = ids.get(right);
            Integer joined = a == null || b == null ? null : ids.get(left + right);
            if (joined == null) {
                t.skipped++;
                continue;
            }
            t.putIfAbsent(a, b, rank, joined);
        }
        return t;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    private int slotOf(long key) {
        int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> 33);
        int i = h & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void putIfAbsent(int left, int right, int rank, int result) {
        long k = key(left, right);
        int i = slotOf(k);
        if (keys[i] == EMPTY) {
            keys[i] = k;
            ranks[i] = rank;
            results[i] = result;
            size++;
        }
    }

    /** The slot of the pair's merge, or -1 when the pair never merges. */
    int find(int left, int right) {
        int i = slotOf(key(left, right));
        return keys[i] == EMPTY ? -1 : i;
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int result(int slot) {
        return results[slot];
    }

    int size() {
        return size;
    }

    /** Merge strings that could not be used (malformed, or naming a text that is not a token). */
    int skipped() {
        return skipped;
    }
}
