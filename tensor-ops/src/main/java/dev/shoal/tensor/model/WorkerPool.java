package dev.shoal.tensor.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads, created once, that split a range of rows between them. The calling thread does
 * chunk 0 itself; the others are woken by a generation counter, spin briefly, then park, so an idle pool costs
 * no CPU. One {@link #run} at a time (the forward pass is single-threaded above the kernels).
 *
 * <p>Chunks are pinned: of {@code [0, n)} thread i always gets {@code [n·i/T, n·(i+1)/T)}, so with the same
 * matrix a thread reads the same rows every step. {@link #run} allocates nothing: callers pass long-lived
 * {@link RangeTask} objects whose fields they set per call (a capturing lambda would be a new object per call).
 */
public final class WorkerPool implements AutoCloseable {

    /** Work over the half-open range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private static final int SPINS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int total;
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
        task = t;
        total = n;
        caller = Thread.currentThread();
        failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        t.run(0, chunkEnd(0, n));
        int spins = 0;
        while (pending.get() > 0) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
        task = null;
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("worker thread failed", f);
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
            try {
                task.run((int) ((long) n * index / threads), chunkEnd(index, n));
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
