package dev.shoal.tensor.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads, created once, that split a range of rows between them. The calling thread does
 * chunk 0 itself; the others are woken by a generation counter, spin briefly, then park, so an idle pool costs
 * no CPU. One {@link #run} at a time (the forward pass is single-threaded above the kernels).
 *
 * <p>Two ways to split {@code [0, n)}. {@link #run} pins the chunks: thread i always gets
 * {@code [n·i/T, n·(i+1)/T)}, so with the same matrix a thread reads the same rows every step and each thread
 * pays a call's fixed costs once; it suits items that all cost the same (one token's attention heads).
 * {@link #runShared} cuts {@link #SHARED_CHUNKS_PER_THREAD} chunks per thread and every thread takes the next one
 * from a shared counter until none is left, so a thread that started late or runs on a slower core does less and nobody waits long at
 * the end: a decode step makes ~130 such calls per token and the pinned halves' imbalance added up (1B Q8_0, two
 * threads, five alternating pairs: 12.2 → 13.3 tok/s median, better in every pair). Prefill took pinned halves
 * while each thread laid its inputs out per call (5 % slower in chunks then); laid out once by the caller, it takes
 * chunks of whole tiles too (see {@code SliceModel.matmul}). Neither allocates: callers pass long-lived
 * {@link RangeTask} objects whose fields they set per call (a capturing lambda would be a new object per call).
 */
public final class WorkerPool implements AutoCloseable {

    /** Work over the half-open range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private static final int SPINS = 20_000;
    /** Chunks per thread in {@link #runShared}: enough for the fast thread to make up for a late or slow one. */
    static final int SHARED_CHUNKS_PER_THREAD = 8;
    /** Smallest shared chunk: a Q8_0 decode chunk still gives its four-row kernel quarters of 4+ rows. */
    static final int MIN_SHARED_CHUNK = 16;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int total;
    /** 0 for pinned chunks, else how many shared ones. */
    private volatile int chunks;
    private volatile Thread caller;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be between 1 and 1024, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int index = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("shoal-worker-" + index).start(() -> loop(index));
        }
    }

    public int threads() {
        return threads;
    }

    /** Ids of the pool's own threads (not the callers'), for per-thread accounting such as allocation checks. */
    public long[] workerThreadIds() {
        long[] ids = new long[workers.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = workers[i].threadId();
        }
        return ids;
    }

    /** Runs {@code t} over {@code [0, n)} split into one contiguous chunk per thread; returns when all are done. */
    public void run(int n, RangeTask t) {
        if (threads == 1 || n < threads * 4) {
            t.run(0, n);
            return;
        }
        dispatch(n, t, 0);
    }

    /**
     * Runs {@code t} over {@code [0, n)} cut into up to {@link #SHARED_CHUNKS_PER_THREAD} contiguous chunks per
     * thread of at least {@link #MIN_SHARED_CHUNK} items, which the threads take in order as each finishes its
     * last; returns when all are done.
     */
    public void runShared(int n, RangeTask t) {
        runShared(n, t, MIN_SHARED_CHUNK);
    }

    /** As {@link #runShared(int, RangeTask)}, with chunks of at least {@code minChunk} items. */
    public void runShared(int n, RangeTask t, int minChunk) {
        if (threads == 1 || n < threads * 4) {
            t.run(0, n);
            return;
        }
        dispatch(n, t, Math.max(threads, Math.min(SHARED_CHUNKS_PER_THREAD * threads, n / minChunk)));
    }

    private void dispatch(int n, RangeTask t, int shared) {
        task = t;
        total = n;
        chunks = shared;
        caller = Thread.currentThread();
        failure = null;
        nextChunk.set(0);
        pending.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        try {
            if (shared == 0) {
                t.run(0, chunkEnd(0, n));
            } else {
                takeChunks(t, n, shared);
            }
        } finally {
            // the workers finish even when this thread's part threw: the next call reuses task, total and chunks
            int spins = 0;
            while (pending.get() > 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
            task = null;
        }
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("worker thread failed", f);
        }
    }

    private void takeChunks(RangeTask t, int n, int k) {
        for (int c = nextChunk.getAndIncrement(); c < k; c = nextChunk.getAndIncrement()) {
            t.run((int) ((long) n * c / k), (int) ((long) n * (c + 1) / k));
        }
    }

    private int chunkEnd(int index, int n) {
        return (int) ((long) n * (index + 1) / threads);
    }

    private void loop(int index) {
        int seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            int n = total;
            int k = chunks;
            try {
                if (k == 0) {
                    task.run((int) ((long) n * index / threads), chunkEnd(index, n));
                } else {
                    takeChunks(task, n, k);
                }
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
