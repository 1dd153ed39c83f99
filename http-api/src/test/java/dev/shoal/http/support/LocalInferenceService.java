package dev.shoal.http.support;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.tensor.chat.ChatTemplateException;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.StopReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine behind {@link InferenceService} for route tests: one {@link LocalModel} served by
 * {@link Generator} on a single worker thread, one request at a time, with a small bounded queue that refuses
 * with {@link ServiceError.Overloaded} when full. A second listed model, {@value #TOO_BIG}, never fits, so the
 * DoesNotFit path can be reached.
 *
 * <p>Test controls: {@link #pause()}/{@link #resume()} hold the worker before it starts its next job (to fill
 * the queue), {@link #slowDown} sleeps after each piece of text (to disconnect mid-stream),
 * {@link #failAfterTexts} makes the next generation fail after n pieces. Every submitted job and every cancel
 * is recorded.
 */
public final class LocalInferenceService implements InferenceService, AutoCloseable {

    public static final String TOO_BIG = "too-big";

    private final LocalModel model;
    private final ModelEntry entry;
    private final ModelEntry tooBig;
    private final int queueCapacity;
    private final ExecutorService worker;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger cancels = new AtomicInteger();
    private final List<GenerationJob> jobs = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile long slowDownMillis;
    private volatile int failAfterTexts = -1;

    public LocalInferenceService(Path file, int queueCapacity) throws IOException {
        this.model = LocalModel.open(file, 1, 0);
        this.queueCapacity = queueCapacity;
        String name = file.getFileName().toString().replaceFirst("\\.gguf$", "");
        Instant modified = Files.getLastModifiedTime(file).toInstant();
        long size = Files.size(file);
        this.entry = new ModelEntry(name, file, size, modified, "llama", "F32", 260_000, model.context(),
                Long.toHexString((file.toString() + size + modified).hashCode() & 0xffffffffL),
                Map.of("llama.block_count", model.config().layers(), "tokenizer.chat_template",
                        model.chatTemplate().source()));
        this.tooBig = new ModelEntry(TOO_BIG, file, size, modified, "llama", "F32", 70_000_000_000L, 8192,
                "00", Map.of());
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-engine");
            t.setDaemon(true);
            return t;
        });
    }

    public LocalModel model() {
        return model;
    }

    public ModelEntry entry() {
        return entry;
    }

    public List<GenerationJob> jobs() {
        return jobs;
    }

    public GenerationJob lastJob() {
        return jobs.getLast();
    }

    public int cancels() {
        return cancels.get();
    }

    public int queued() {
        return queued.get();
    }

    public int active() {
        return active.get();
    }

    public void pause() {
        gate = new CountDownLatch(1);
    }

    public void resume() {
        gate.countDown();
    }

    public void slowDown(long millisPerText) {
        slowDownMillis = millisPerText;
    }

    public void failAfterTexts(int n) {
        failAfterTexts = n;
    }

    /** Back to normal between tests. */
    public void reset() {
        resume();
        slowDownMillis = 0;
        failAfterTexts = -1;
    }

    @Override
    public List<ModelEntry> models() {
        return List.of(entry, tooBig);
    }

    @Override
    public Optional<ModelEntry> find(String name) {
        String base = name.endsWith(":latest") ? name.substring(0, name.length() - ":latest".length()) : name;
        return models().stream().filter(m -> m.name().equals(base)).findFirst();
    }

    @Override
    public List<LoadedModel> loaded() {
        return List.of(new LoadedModel(entry, entry.sizeBytes(), Instant.now().plus(Duration.ofMinutes(5)),
                active.get(), queued.get()));
    }

    @Override
    public GenerationHandle submit(GenerationJob job, GenerationListener listener) {
        jobs.add(job);
        Optional<ModelEntry> m = find(job.model());
        if (m.isEmpty()) {
            listener.onError(new ServiceError.ModelNotFound(job.model()));
            return () -> { };
        }
        if (m.get() == tooBig) {
            listener.onError(new ServiceError.DoesNotFit(TOO_BIG, 140L << 30, 20L << 30));
            return () -> { };
        }
        if (queued.incrementAndGet() > queueCapacity) {
            queued.decrementAndGet();
            listener.onError(new ServiceError.Overloaded(3));
            return () -> { };
        }
        Task task = new Task(job, listener);
        worker.execute(task);
        return task::cancel;
    }

    @Override
    public void close() throws InterruptedException {
        resume();
        worker.shutdownNow();
        worker.awaitTermination(5, TimeUnit.SECONDS);
        model.close();
    }

    private final class Task implements Runnable {
        private final GenerationJob job;
        private final GenerationListener listener;
        private volatile boolean cancelled;

        Task(GenerationJob job, GenerationListener listener) {
            this.job = job;
            this.listener = listener;
        }

        void cancel() {
            if (!cancelled) {
                cancelled = true;
                cancels.incrementAndGet();
            }
        }

        @Override
        public void run() {
            queued.decrementAndGet();
            active.incrementAndGet();
            try {
                gate.await();
                generate();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                listener.onError(new ServiceError.Internal("engine failure: " + e.getMessage()));
            } finally {
                active.decrementAndGet();
            }
        }

        private void generate() {
            long t0 = System.nanoTime();
            PromptIds prompt;
            try {
                prompt = PromptIds.of(model, job.prompt());
            } catch (ChatTemplateException e) {
                listener.onError(new ServiceError.InvalidRequest(e.getMessage(), "messages"));
                return;
            }
            if (prompt.ids().length >= model.context()) {
                listener.onError(new ServiceError.ContextOverflow(prompt.ids().length, model.context()));
                return;
            }
            if (cancelled) {
                listener.onComplete(new Completion(0, 0, StopReason.CANCELLED, 0, 0, 0, System.nanoTime() - t0));
                return;
            }
            listener.onStart(prompt.ids().length);
            List<String> stops = new ArrayList<>(job.stop());
            stops.addAll(prompt.templateStops());
            int failAt = failAfterTexts;
            failAfterTexts = -1;
            int[] texts = {0};
            GenerationResult r;
            try {
                r = Generator.generate(model, prompt.ids(), job.sampling(), PromptIds.limits(model, job.maxTokens()),
                        stops, text -> {
                            if (failAt >= 0 && texts[0]++ >= failAt) {
                                throw new InjectedFailure();
                            }
                            listener.onText(text);
                            sleep(slowDownMillis);
                            return !cancelled;
                        });
            } catch (InjectedFailure e) {
                listener.onError(new ServiceError.Internal("injected engine failure"));
                return;
            }
            listener.onComplete(new Completion(r.promptTokens(), r.generatedTokens(),
                    cancelled ? StopReason.CANCELLED : r.stopReason(), 0, r.promptNanos(), r.generationNanos(),
                    System.nanoTime() - t0));
        }
    }

    private static void sleep(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class InjectedFailure extends RuntimeException {
        InjectedFailure() {
            super("injected", null, false, false);
        }
    }

}
