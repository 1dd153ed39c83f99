package dev.shoal.transport.step;

import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.SliceModel;
import java.util.Objects;

/**
 * The KV caches of one position, one per sequence slot ({@code 0 .. maxBatch - 1}). A slot names the same
 * sequence on every position of the instance; each position keeps its own slice's cache for it. A cache is made
 * when a slot is first used or asked for more positions than it holds, and otherwise reused by the slot's next
 * sequences (a new sequence overwrites positions from 0 before attention reads them), so steps allocate nothing.
 *
 * <p>The supervisor also tracks which slots are in use ({@link #acquire}, {@link #release}); workers only follow
 * the slots the descriptors name ({@link #cacheFor}).
 */
final class SlotCaches {

    private final SliceModel model;
    private final KvCache[] caches;
    private final boolean[] inUse;

    SlotCaches(final SliceModel model, final int slots) {
        this.model = model;
        this.caches = new KvCache[slots];
        this.inUse = new boolean[slots];
    }

    int slots() {
        return caches.length;
    }

    /** Worker side: the cache of {@code slot}, made or grown to at least {@code capacity} positions. */
    KvCache cacheFor(final int slot, final int capacity) {
        if (slot < 0 || slot >= caches.length) {
            throw new IllegalStateException("slot " + slot + " outside 0.." + (caches.length - 1));
        }
        final KvCache cache = caches[slot];
        if (cache != null && cache.capacity() >= capacity) {
            return cache;
        }
        return caches[slot] = model.newCache(capacity);
    }

    /**
     * Supervisor side: takes a free slot for a new sequence of {@code capacity} positions, preferring one whose
     * cache is already large enough.
     *
     * @return the slot
     * @throws IllegalStateException when every slot is taken (the scheduler runs at most maxBatch sequences)
     */
    int acquire(final int capacity) {
        int free = -1;
        for (int s = 0; s < caches.length; s++) {
            if (!inUse[s]) {
                if (caches[s] != null && caches[s].capacity() >= capacity) {
                    inUse[s] = true;
                    return s;
                }
                free = free < 0 ? s : free;
            }
        }
        if (free < 0) {
            throw new IllegalStateException("all " + caches.length + " sequence slots are in use");
        }
        caches[free] = model.newCache(capacity);
        inUse[free] = true;
        return free;
    }

    KvCache cache(final int slot) {
        return caches[slot];
    }

    /** The in-use slot holding {@code cache} (by identity), or -1. */
    int slotOf(final KvCache cache) {
        for (int s = 0; s < caches.length; s++) {
            if (inUse[s] && caches[s] == cache) {
                return s;
            }
        }
        return -1;
    }

    /** Frees the slot of {@code cache}; false when no slot in use holds it. */
    boolean release(final KvCache cache) {
        Objects.requireNonNull(cache, "cache");
        final int s = slotOf(cache);
        if (s < 0) {
            return false;
        }
        inUse[s] = false;
        return true;
    }

    int inUse() {
        int n = 0;
        for (final boolean used : inUse) {
            n += used ? 1 : 0;
        }
        return n;
    }
}
