package dev.shoal.actors.cluster;

import dev.shoal.tensor.chat.ChatTemplate;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.tensor.tokenizer.Tokenizer;
import dev.shoal.transport.step.DistributedStepModel;
import dev.shoal.transport.step.ShardRuntime;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One position's slice in memory the worker owns (copied out of the file, so the node's resident memory is the
 * slice, not the model) and its end of the instance's Aeron step plane: the supervisor's {@link DistributedStepModel}
 * at position 0 (with the tokenizer and chat template the supervisor needs), a {@link ShardRuntime} elsewhere.
 */
final class LoadedShard implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LoadedShard.class);
    /** The longest one fetch request may take: a whole matrix window (a vocabulary's embedding, say) over a LAN. */
    private static final Duration FETCH_REQUEST_TIMEOUT = Duration.ofMinutes(10);
    /** How often a fetching worker tells the coordinator it is still making progress. */
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final Arena arena;
    private final WorkerPool pool;
    final long bytes;
    final ShardRuntime runtime;
    final DistributedStepModel model;
    final Tokenizer tokenizer;
    final ChatTemplate template;

    private LoadedShard(Arena arena, WorkerPool pool, long bytes, ShardRuntime runtime, DistributedStepModel model,
                        Tokenizer tokenizer, ChatTemplate template) {
        this.arena = arena;
        this.pool = pool;
        this.bytes = bytes;
        this.runtime = runtime;
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
    }

    /**
     * Reads the slice from the node's copy of the model file — or, when the node has none and the plan names a node
     * that has it ({@link ShardSpec#fetchFrom()}), from the slice's bytes fetched from there: into the node's kept
     * copy of the file ({@code shoal.models.keep-fetched}, which may hold them already), or a scratch file deleted
     * once the slice is in memory — and opens this position's Aeron channels.
     *
     * @param fetchProgress told the bytes fetched so far, at most every {@link #PROGRESS_EVERY}, while fetching
     */
    static LoadedShard load(ShardSpec spec, ShardHost host, Consumer<RuntimeException> onFailure,
                            java.util.function.LongConsumer fetchProgress) throws IOException {
        Path own = host.modelsDir().resolve(spec.fileName());
        if (java.nio.file.Files.isRegularFile(own) || spec.fetchFrom().isEmpty()) {
            return load(spec, host, own, onFailure);
        }
        Path scratch = host.keepFetched() ? null : SliceFetch.scratchFor(host.modelsDir(), spec.entityId());
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            SliceFetch fetch = new SliceFetch(http, spec.fetchFrom(), spec.fileName(), FETCH_REQUEST_TIMEOUT)
                    .onProgress(fetchProgress, PROGRESS_EVERY);
            long start = System.nanoTime();
            Path from;
            if (scratch == null) {
                from = fetch.fetchKept(spec.slice(), host.modelsDir());
            } else {
                fetch.fetch(spec.slice(), scratch);
                from = scratch;
            }
            LOG.info("{}: fetched {} bytes ({} MiB) of {} from {} in {} ms ({} bytes already on this node's disk)",
                    spec.entityId(), fetch.fetchedBytes(), String.format(java.util.Locale.ROOT, "%.1f",
                            fetch.fetchedBytes() / 1048576.0), spec.fileName(), spec.fetchFrom(),
                    (System.nanoTime() - start) / 1_000_000, fetch.reusedBytes());
            return load(spec, host, from, onFailure);
        } finally {
            if (scratch != null) {
                java.nio.file.Files.deleteIfExists(scratch);
            }
        }
    }

    private static LoadedShard load(ShardSpec spec, ShardHost host, Path path, Consumer<RuntimeException> onFailure)
            throws IOException {
        Arena arena = Arena.ofShared();
        WorkerPool pool = null;
        try (GgufFile file = GgufFile.open(path)) {
            ModelConfig c = ModelConfig.fromGguf(file);
            SliceWeights weights = SliceWeights.load(file, c, spec.slice().validate(c))
                    .compactInterleaved(arena, LocalModel.loadThreads(host.threads()));
            pool = new WorkerPool(host.threads());
            if (spec.position() == 0) {
                Tokenizer tokenizer = Tokenizer.fromGguf(file.metadata());
                ChatTemplate template = ChatTemplate.fromGguf(file.metadata());
                DistributedStepModel model = new DistributedStepModel(host.aeron().get(), spec.wiring(), weights, pool,
                        spec.context(), spec.maxBatch(), host.transport());
                return new LoadedShard(arena, pool, weights.byteSize(), null, model, tokenizer, template);
            }
            ShardRuntime runtime = new ShardRuntime(host.aeron().get(), spec.wiring(), spec.position(), weights, pool,
                    spec.context(), spec.maxBatch(), host.transport(), onFailure);
            return new LoadedShard(arena, pool, weights.byteSize(), runtime, null, null, null);
        } catch (IOException | RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            arena.close();
            throw e;
        }
    }

    /** Blocks until every channel of this position is connected; then a worker starts its step loop. */
    void connect(Duration timeout) {
        if (runtime != null) {
            runtime.awaitConnected(timeout);
            runtime.start();
        } else {
            model.awaitConnected(timeout);
        }
    }

    @Override
    public void close() {
        try {
            if (runtime != null) {
                runtime.close();
            }
            if (model != null) {
                model.close();
            }
        } finally {
            pool.close();
            arena.close();
        }
    }
}
