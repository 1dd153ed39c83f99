package dev.shoal.tensor.sample;

import java.util.Arrays;

/**
 * The recent tokens of one sequence, as the penalties need them: how often each token occurs in the last
 * {@code window} tokens. The caller adds every prompt token and every generated token, in order;
 * {@link Sampler#sample} only reads.
 *
 * <p>Shapes: a ring of the last {@code window} ids (it grows up to {@code window}, so a huge window costs only
 * what is used), and an open-addressing table {@code token -> count} holding only tokens with a count above
 * zero, so the penalty pass visits at most {@code 2 * distinct} slots instead of the whole vocabulary. A window
 * of -1 counts every token ever added (no ring); a window of 0 records nothing.
 */
public final class TokenHistory {

    private static final int EMPTY = -1;
    private static final int MIN_TABLE = 16;

    private final int window;
    private int[] ring;
    private int ringHead; // index of the oldest entry once the ring is full
    private int ringSize;
    private long added;

    // Linear probing with backward-shift deletion: keys[i] == EMPTY marks a free slot.
    private int[] keys;
    private int[] counts;
    private int distinct;

    public TokenHistory(int window) {
        if (window < -1) {
            throw new IllegalArgumentException("window must be -1 (whole context), 0 (off) or positive, got " + window);
        }
        this.window = window;
        this.ring = window > 0 ? new int[Math.min(window, 256)] : new int[0];
        int table = window > 0 ? Math.max(MIN_TABLE, Integer.highestOneBit(Math.min(window, 1 << 16)) * 4) : MIN_TABLE;
        this.keys = new int[table];
        this.counts = new int[table];
        Arrays.fill(keys, EMPTY);
    }

    /** The window this history counts over: -1 whole context, 0 nothing, else the last {@code window} tokens. */
    public int window() {
        return window;
    }

    /** Records one token; when the window is full the oldest token leaves it. */
    public void add(int token) {
        if (token < 0) {
            throw new IllegalArgumentException("token ids are non-negative, got " + token);
        }
        if (window == 0) {
            return;
        }
        added++;
        if (window > 0) {
            if (ringSize == window) {
                decrement(ring[ringHead]);
                ring[ringHead] = token;
                ringHead = ringHead + 1 == window ? 0 : ringHead + 1;
            } else {
                if (ringSize == ring.length) {
                    // Still filling: entries sit at [0, ringSize) in order, so a plain copy keeps them in place.
                    ring = Arrays.copyOf(ring, (int) Math.min(window, 2L * ring.length));
                }
                ring[ringSize++] = token;
            }
        }
        increment(token);
    }

    public void addAll(int[] tokens) {
        for (int t : tokens) {
            add(t);
        }
    }

    /** How often {@code token} occurs in the window. */
    public int count(int token) {
        int slot = find(token);
        return slot >= 0 ? counts[slot] : 0;
    }

    /** Number of distinct tokens in the window. */
    public int distinctTokens() {
        return distinct;
    }

    /** Number of tokens in the window (for window -1: every token added). */
    public long size() {
        return window > 0 ? ringSize : added;
    }

    public void clear() {
        Arrays.fill(keys, EMPTY);
        Arrays.fill(counts, 0);
        distinct = 0;
        ringHead = 0;
        ringSize = 0;
        added = 0;
    }

    // Slot access for the sampler's penalty pass: no iterator, no allocation.
    int slots() {
        return keys.length;
    }

    int tokenAt(int slot) {
        return keys[slot];
    }

    int countAt(int slot) {
        return counts[slot];
    }

    private static int hash(int token) {
        int h = token * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private int find(int token) {
        int mask = keys.length - 1;
        for (int i = hash(token) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == token) {
                return i;
            }
            if (keys[i] == EMPTY) {
                return -1;
            }
        }
    }

    private void increment(int token) {
        int mask = keys.length - 1;
        int i = hash(token) & mask;
        while (keys[i] != EMPTY && keys[i] != token) {
            i = (i + 1) & mask;
        }
        if (keys[i] == token) {
            counts[i]++;
            return;
        }
        keys[i] = token;
        counts[i] = 1;
        distinct++;
        if (distinct * 2 > keys.length) {
            rehash(keys.length * 2);
        }
    }

    private void decrement(int token) {
        int i = find(token);
        if (--counts[i] > 0) {
            return;
        }
        distinct--;
        int mask = keys.length - 1;
        // Backward-shift deletion: pull later entries of the probe run into the hole so lookups never stop early.
        int hole = i;
        keys[hole] = EMPTY;
        for (int j = (hole + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = hash(keys[j]) & mask;
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                counts[hole] = counts[j];
                keys[j] = EMPTY;
                counts[j] = 0;
                hole = j;
            }
        }
        counts[hole] = 0;
    }

    private void rehash(int size) {
        int[] oldKeys = keys;
        int[] oldCounts = counts;
        keys = new int[size];
        counts = new int[size];
        Arrays.fill(keys, EMPTY);
        int mask = size - 1;
        for (int s = 0; s < oldKeys.length; s++) {
            if (oldKeys[s] != EMPTY) {
                int i = hash(oldKeys[s]) & mask;
                while (keys[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[s];
                counts[i] = oldCounts[s];
            }
        }
    }
}
