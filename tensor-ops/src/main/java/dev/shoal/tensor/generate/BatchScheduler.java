package dev.shoal.tensor.generate;

import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.StepModel;
import dev.shoal.tensor.tokenizer.Tokenizer;
import dev.shoal.tensor.sample.StopReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching over one {@link LocalModel}: an engine thread runs decode steps in which one pass over the
 * weights serves every active sequence; between steps, waiting sequences join (their prompts prefilled) and
 * finished or cancelled ones leave.
 *
 * <p>Contract: {@link #submit} validates synchronously (prompt longer than the context →
 * {@link IllegalArgumentException}; {@code maxQueue} requests already waiting → {@link QueueFullException}) and
 * returns at once; events then follow on {@link SequenceListener} from the engine thread. {@link #close} cancels
 * everything and stops the thread.
 */
public final class BatchScheduler implements AutoCloseable {

    private static final long IDLE_POLL_MILLIS = 50;

    private final StepModel model;
    private final Tokenizer tokenizer;
    private final int context;
    private final int maxSequences;
    private final int maxQueue;
    private final ArrayBlockingQueue<Sequence> queue;
    private final List<Sequence> active = new ArrayList<>();
    private final Thread engine;
    private volatile boolean closed;
    private volatile int activeCount;
    // one decode step's arguments, reused
    private final int[] tokens;
    private final int[] positions;
    private final KvCache[] caches;
    private final boolean[] want;

    /** One admitted or waiting sequence; {@code cancelled} may be set from any thread. */
    private static final class Sequence {
        final SequenceRequest request;
        final SequenceListener listener;
        final long submitted = System.nanoTime();
        volatile boolean cancelled;
        SequenceState state;
        KvCache cache;
        long promptNanos;
        long decodeStart;
        /** Generated tokens already reported through {@link SequenceListener#onToken}. */
        int reported;

        Sequence(SequenceRequest request, SequenceListener listener) {
            this.request = request;
            this.listener = listener;
        }

        boolean accept(String text) {
            if (cancelled) {
                return false;
            }
            listener.onText(text);
            return !cancelled;
        }
    }

    /**
     * @param maxSequences the most sequences decoding together (capped by the model's batch size)
     * @param maxQueue     the most sequences waiting to join
     */
    public BatchScheduler(LocalModel model, int maxSequences, int maxQueue) {
        this(model.model(), model.tokenizer(), model.context(), maxSequences, maxQueue);
    }

    /**
     * @param model     the forward pass (one node's model, or a cluster's supervisor end)
     * @param tokenizer the model's tokenizer (sampling range, end-of-generation ids, text)
     * @param context   the longest sequence (prompt + generated) the model's caches hold
     */
    public BatchScheduler(StepModel model, Tokenizer tokenizer, int context, int maxSequences, int maxQueue) {
        if (maxSequences < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("maxSequences must be ≥ 1 and maxQueue ≥ 0");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.context = context;
        this.maxSequences = Math.min(maxSequences, model.maxBatch());
        this.maxQueue = maxQueue;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, maxQueue));
        this.tokens = new int[this.maxSequences];
        this.positions = new int[this.maxSequences];
        this.caches = new KvCache[this.maxSequences];
        this.want = new boolean[this.maxSequences];
        java.util.Arrays.fill(want, true);
        this.engine = Thread.ofPlatform().name("shoal-engine").daemon().start(this::run);
    }

    public SequenceHandle submit(SequenceRequest request, SequenceListener listener) {
        if (closed) {
            throw new IllegalStateException("the scheduler is closed");
        }
        int ctx = Math.min(request.limits().contextLength(), context);
        int[] prompt = SequenceState.checkedPrompt(tokenizer, request.prompt(), ctx);
        Sequence s = new Sequence(new SequenceRequest(prompt, request.sampling(), request.limits(), request.stops(),
                request.resumed()),
                listener);
        if (maxQueue == 0 || !queue.offer(s)) {
            throw new QueueFullException(maxQueue);
        }
        return () -> s.cancelled = true;
    }

    /** Sequences in the running batch now. */
    public int active() {
        return activeCount;
    }

    /** Sequences waiting to join. */
    public int queued() {
        return queue.size();
    }

    /** The most sequences decoding together. */
    public int maxSequences() {
        return maxSequences;
    }

    private void run() {
        try {
            while (!closed) {
                admit();
                if (!active.isEmpty()) {
                    step();
                }
                activeCount = active.size();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Sequence s : active) {
                s.state.cancel();
                done(s);
            }
            active.clear();
            Sequence s;
            while ((s = queue.poll()) != null) {
                s.listener.onError(new IllegalStateException("the model was unloaded before the request ran"));
            }
            activeCount = 0;
        }
    }

    /** Moves waiting sequences into the batch, prefilling each prompt and sampling its first token. */
    private void admit() throws InterruptedException {
        while (active.size() < maxSequences) {
            Sequence s = active.isEmpty() ? queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS) : queue.poll();
            if (s == null || closed) {
                return;
            }
            SequenceRequest r = s.request;
            int ctx = Math.min(r.limits().contextLength(), context);
            s.state = new SequenceState(tokenizer, r.prompt(), r.sampling(), r.limits(), r.stops(), ctx);
            s.state.resume(r.resumed());
            if (s.cancelled) {
                s.state.cancel();
                s.listener.onDone(s.state.result(0, 0));
                continue;
            }
            try {
                long capacity = Math.min(ctx, (long) r.prompt().length + r.limits().maxTokens());
                s.cache = model.newCache((int) capacity);
                s.listener.onStart(r.prompt().length);
                long t0 = System.nanoTime();
                float[] logits = Generator.prefill(model, r.prompt(), s.cache);
                s.decodeStart = System.nanoTime();
                s.promptNanos = s.decodeStart - t0;
                boolean more = s.state.advance(logits, s::accept);
                reportTokens(s);
                if (more && !s.cancelled) {
                    active.add(s);
                } else {
                    done(s);
                }
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    /** One decode step for every active sequence. */
    private void step() {
        int n = 0;
        for (int i = 0; i < active.size(); i++) {
            Sequence s = active.get(i);
            if (s.cancelled) {
                s.state.cancel();
                done(s);
                active.remove(i--);
                continue;
            }
            tokens[n] = s.state.lastToken();
            positions[n] = s.state.nextPosition();
            caches[n] = s.cache;
            n++;
        }
        if (n == 0) {
            return;
        }
        try {
            model.forward(n, tokens, positions, caches, want);
        } catch (RuntimeException e) {
            for (Sequence s : active) {
                fail(s, e);
            }
            active.clear();
            java.util.Arrays.fill(caches, null);
            return;
        }
        for (int b = 0, i = 0; b < n; b++, i++) {
            Sequence s = active.get(i);
            boolean more = s.state.advance(model.logits(b), s::accept);
            reportTokens(s);
            if (!more || s.cancelled) {
                if (s.cancelled) {
                    s.state.cancel();
                }
                done(s);
                active.remove(i--);
            }
        }
        java.util.Arrays.fill(caches, null);
    }

    /** Tells the listener of the tokens sampled since the last report. */
    private static void reportTokens(Sequence s) {
        int generated = s.state.generatedCount();
        for (; s.reported < generated; s.reported++) {
            s.listener.onToken(s.state.generatedId(s.reported));
        }
    }

    private void fail(Sequence s, RuntimeException e) {
        releaseCache(s);
        s.listener.onError(e);
    }

    private void releaseCache(Sequence s) {
        if (s.cache != null) {
            model.release(s.cache);
            s.cache = null;
        }
    }

    private void done(Sequence s) {
        releaseCache(s);
        long now = System.nanoTime();
        GenerationResult r = s.state.result(s.promptNanos, s.decodeStart == 0 ? 0 : now - s.decodeStart);
        if (r.stopReason() == null) {
            r = new GenerationResult(r.promptTokens(), r.ids(), r.text(), StopReason.CANCELLED, r.promptNanos(),
                    r.generationNanos());
        }
        s.listener.onDone(r);
    }

    @Override
    public void close() {
        closed = true;
        try {
            engine.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
