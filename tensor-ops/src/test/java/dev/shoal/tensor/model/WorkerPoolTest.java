package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both ways of splitting a range cover every index exactly once, spread the work, and report failures. */
class WorkerPoolTest {

    @ParameterizedTest(name = "{0} items")
    @ValueSource(ints = {1, 7, 8, 9, 31, 32, 33, 100, 255, 256, 257, 2048, 128_256})
    void everyIndexShouldBeVisitedExactlyOnceEitherWay(final int n) {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (final boolean shared : new boolean[] {false, true}) {
                final AtomicIntegerArray visits = new AtomicIntegerArray(n);
                final WorkerPool.RangeTask task = (start, end) -> {
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                };
                for (int round = 0; round < 20; round++) {
                    if (shared) {
                        pool.runShared(n, task);
                    } else {
                        pool.run(n, task);
                    }
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(20, visits.get(i), (shared ? "shared" : "pinned") + " index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void sharedChunksShouldBeTakenByEveryThreadAndBeSmallerThanPinnedHalves() {
        try (WorkerPool pool = new WorkerPool(2)) {
            final Set<Thread> threads = ConcurrentHashMap.newKeySet();
            final Set<Integer> sizes = ConcurrentHashMap.newKeySet();
            final WorkerPool.RangeTask slow = (start, end) -> {
                threads.add(Thread.currentThread());
                sizes.add(end - start);
                sleep(5); // 16 chunks of 5 ms: the worker wakes long before the caller could take them all
            };
            pool.runShared(2048, slow);
            assertEquals(2, threads.size(), "threads that took chunks");
            assertEquals(Set.of(2048 / (2 * WorkerPool.SHARED_CHUNKS_PER_THREAD)), sizes);
            threads.clear();
            sizes.clear();
            pool.run(2048, slow);
            assertEquals(2, threads.size());
            assertEquals(Set.of(1024), sizes, "pinned: one half per thread");
            sizes.clear();
            pool.runShared(64, slow);
            assertTrue(sizes.stream().allMatch(s -> s >= WorkerPool.MIN_SHARED_CHUNK), "chunk sizes " + sizes);
            sizes.clear();
            pool.runShared(2048, slow, 256);
            assertEquals(Set.of(256), sizes, "at least the asked-for chunk: 8 of 256");
            sizes.clear();
            pool.runShared(40, slow, 1);
            final int small = 40 / (2 * WorkerPool.SHARED_CHUNKS_PER_THREAD);
            assertEquals(Set.of(small, small + 1), sizes, "small chunks allowed: 16 of 2-3");
        }
    }

    @Test
    void aFailureOnAnyThreadShouldReachTheCallerAfterEveryThreadHasStopped() {
        try (WorkerPool pool = new WorkerPool(2)) {
            final RuntimeException boom = new RuntimeException("boom");
            final Thread caller = Thread.currentThread();
            // a worker's failure comes back wrapped, from whichever chunk it hit
            final IllegalStateException wrapped = assertThrows(IllegalStateException.class,
                    () -> pool.runShared(1024, (start, end) -> {
                        if (Thread.currentThread() != caller) {
                            throw boom;
                        }
                        sleep(5);
                    }));
            assertSame(boom, wrapped.getCause());
            // the caller's own failure comes back as it is, once the worker's pinned half has finished
            final AtomicBoolean done = new AtomicBoolean();
            final RuntimeException own = assertThrows(RuntimeException.class, () -> pool.run(1024, (start, end) -> {
                if (Thread.currentThread() == caller) {
                    throw boom;
                }
                sleep(50);
                done.set(true);
            }));
            assertSame(boom, own);
            assertTrue(done.get(), "the worker was still running when run() returned");
            // and the pool still works afterwards
            final AtomicIntegerArray visits = new AtomicIntegerArray(100);
            pool.runShared(100, (start, end) -> {
                for (int i = start; i < end; i++) {
                    visits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 100; i++) {
                assertEquals(1, visits.get(i));
            }
        }
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
