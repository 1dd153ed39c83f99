package dev.shoal.actors.cluster;

import dev.shoal.transport.TransportSettings;
import io.aeron.Aeron;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * What a node lends the shard workers it hosts: its models directory (slices are read from the node's own copy of
 * the file), the client of its embedded Aeron driver (started on first use: a node that never holds a slice runs
 * no driver), compute threads per slice, and the transport's timeouts. It also keeps the list of slices loaded here
 * (for JMX and the node's used memory).
 *
 * @param connectTimeout how long a new instance's positions get to connect to each other over Aeron
 * @param keepFetched    whether slices fetched from another node stay on disk for the next placement
 *                       ({@code shoal.models.keep-fetched})
 */
public record ShardHost(Path modelsDir, Supplier<Aeron> aeron, int threads, TransportSettings transport,
                        Duration connectTimeout, boolean keepFetched, Map<String, Loaded> loaded) {

    /**
     * One slice loaded on this node: its entity id, the model file it was cut from (its path under the models
     * directory, '/'-separated), a description, the bytes its weights take, and the memory its placement reserved
     * for it (weights and KV cache, as the planner counted them).
     */
    public record Loaded(String entity, String fileName, String description, long bytes, long reservedBytes) {
    }

    public ShardHost(Path modelsDir, Supplier<Aeron> aeron, int threads, TransportSettings transport,
                     Duration connectTimeout, boolean keepFetched) {
        this(modelsDir, aeron, threads, transport, connectTimeout, keepFetched, new ConcurrentSkipListMap<>());
    }

    /** The slices loaded here now, by entity id. */
    public List<Loaded> slices() {
        return List.copyOf(loaded.values());
    }

    /** Bytes the loaded slices' weights take. */
    public long sliceBytes() {
        return loaded.values().stream().mapToLong(Loaded::bytes).sum();
    }
}
