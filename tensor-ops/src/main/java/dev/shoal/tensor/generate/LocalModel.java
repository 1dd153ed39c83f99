package dev.shoal.tensor.generate;

import dev.shoal.tensor.chat.ChatTemplate;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.tensor.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A whole model on this node: the memory-mapped file, its tokenizer and chat template, and the forward pass
 * with a pool of {@code threads} workers. Weights are used straight from the mapping, so the model serves as soon as
 * the file is mapped and its metadata read. Q4_0 and Q4_K matrices on 256-bit vectors are then repacked in the
 * background into memory of this model's own ({@link Matrix#interleave}: decode reads them 1.1–1.7× faster; the
 * same bytes, and the mapping's pages they came from become mere page cache), and the forward pass switches to them
 * between two passes ({@link SliceModel#replaceWeights}); {@link #awaitRepacked} waits for that.
 */
public final class LocalModel implements AutoCloseable {

    /** The context used when neither the caller nor the model asks for less. */
    public static final int DEFAULT_CONTEXT = 4096;
    /**
     * Tokens per forward pass unless the caller says otherwise (prompt chunks; concurrent sequences). A prompt
     * chunk streams every weight once and decodes it into tiles once, so bigger chunks prefill faster: on a 1B
     * model 32 gave 28 tok/s where 16 gave 25 (one thread); 128 (llama.cpp's pp128 in one pass) against 32 gave,
     * on a Zen 4 run with {@code -XX:UseAVX=2} (two alternating runs each), Q4_0 27.1–28.7 → 31.3–33.6 tok/s on one
     * core and 59.4–61.8 → 63.6–66.2 on two, Q4_K 27.2–27.5 → 29.6–31.5, Q8_0 27.9–28.7 → 32.3–32.7 on one. The cost is per-row buffers of dim and FFN width (about 20 MB at 1B); nothing
     * grows with batch × context or batch × vocabulary ({@link SliceModel}). A concurrent stream waits for a whole
     * chunk, up to about 4 s on one core.
     */
    public static final int DEFAULT_BATCH = 128;

    /**
     * Rows per forward pass for a model that runs up to {@code sequences} sequences together: at least
     * {@link #DEFAULT_BATCH}, so a prompt is prefilled in chunks that large even when few sequences are allowed.
     * The rule for whole models and split ones alike (the step plane derives every position's row count from it).
     */
    public static int rowsFor(int sequences) {
        if (sequences < 1) {
            throw new IllegalArgumentException("a model needs room for at least one sequence: " + sequences);
        }
        return Math.max(sequences, DEFAULT_BATCH);
    }

    private final GgufFile file;
    private final Arena arena;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final WorkerPool pool;
    private final SliceModel model;
    private final int context;
    private final double loadSeconds;
    /** The background repack, or null when nothing needed it. */
    private final Thread repack;
    private volatile double repackSeconds;
    private volatile Throwable repackFailure;

    private LocalModel(GgufFile file, Arena arena, ModelConfig config, Tokenizer tokenizer, ChatTemplate chatTemplate,
                       WorkerPool pool, SliceModel model, int context, double loadSeconds, int repackThreads) {
        this.file = file;
        this.arena = arena;
        this.config = config;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.pool = pool;
        this.model = model;
        this.context = context;
        this.loadSeconds = loadSeconds;
        this.repack = repackThreads == 0 ? null : Thread.ofPlatform().name("shoal-repack").daemon().start(() -> {
            long t0 = System.nanoTime();
            try {
                model.replaceWeights(model.weights().interleaved(arena, repackThreads));
                repackSeconds = (System.nanoTime() - t0) / 1e9;
            } catch (RuntimeException | OutOfMemoryError e) {
                // the model keeps serving from the mapping, at plain-layout speed
                repackFailure = e;
            }
        });
    }

    /**
     * Waits until the background repack is over; returns how long it took (0 when there was none).
     *
     * @throws IllegalStateException if it failed (the model still serves, from the plain layout)
     */
    public double awaitRepacked() {
        if (repack == null) {
            return 0;
        }
        try {
            repack.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the weights to be repacked", e);
        }
        if (repackFailure != null) {
            throw new IllegalStateException("repacking the weights failed: " + repackFailure, repackFailure);
        }
        return repackSeconds;
    }

    /**
     * @param context longest sequence (prompt + generated); 0 means min(trained context, {@value #DEFAULT_CONTEXT})
     */
    public static LocalModel open(Path path, int threads, int context) throws IOException {
        return open(path, threads, context, DEFAULT_BATCH);
    }

    /**
     * @param maxBatch the most tokens one forward pass takes: concurrent sequences in a decode step, and the
     *                 chunk a prompt is prefilled in
     */
    public static LocalModel open(Path path, int threads, int context, int maxBatch) throws IOException {
        long t0 = System.nanoTime();
        GgufFile file = GgufFile.open(path);
        Arena arena = Arena.ofShared();
        WorkerPool pool = null;
        try {
            ModelConfig c = ModelConfig.fromGguf(file);
            Tokenizer tok = Tokenizer.fromGguf(file.metadata());
            if (tok.vocabSize() > c.vocabSize()) {
                throw new IllegalArgumentException(path.getFileName() + ": the tokenizer has " + tok.vocabSize()
                        + " tokens but the model's embedding only " + c.vocabSize());
            }
            ChatTemplate template = ChatTemplate.fromGguf(file.metadata());
            int ctx = context > 0 ? Math.min(context, c.trainedContext()) : Math.min(c.trainedContext(), DEFAULT_CONTEXT);
            pool = new WorkerPool(threads);
            SliceWeights weights = SliceWeights.load(file, c, Slice.whole(c));
            SliceModel m = SliceModel.whole(weights, pool, ctx, maxBatch);
            return new LocalModel(file, arena, c, tok, template, pool, m, ctx, (System.nanoTime() - t0) / 1e9,
                    weights.hasInterleavable() ? loadThreads(threads) : 0);
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            arena.close();
            file.close();
            throw e;
        }
    }

    /**
     * Threads that repack weights at load: every core this process may use, at least the forward pass's own (a
     * one-off burst; repacking a 1B Q4_0 or Q4_K file takes 1-2.5 s of one core).
     */
    public static int loadThreads(int threads) {
        return Math.max(threads, Runtime.getRuntime().availableProcessors());
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    public SliceModel model() {
        return model;
    }

    /** The longest sequence this instance holds (prompt + generated tokens). */
    public int context() {
        return context;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    @Override
    public void close() {
        if (repack != null) {
            // the arena it fills must outlive it
            boolean interrupted = false;
            while (repack.isAlive()) {
                try {
                    repack.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        pool.close();
        arena.close();
        file.close();
    }
}
