package dev.shoal.actors.cluster;

import dev.shoal.actors.ModelCatalog;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.ModelShape;
import dev.shoal.tensor.gguf.GgufFile;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models this node has no file of but another member has: a client may name them on any node, and every node lists
 * them. One is resolved by fetching its file's header (and 1-D tensors) from the member that has it
 * ({@link SliceFetch#fetchHeader}) into a temporary file, reading the catalog entry and the planner's shape from it,
 * and deleting it. Resolutions are kept per member and file, with the file's size and modification time: a request
 * asks the member for those again (one small request) and reads the header anew when they changed; a listing
 * ({@link #refresh}) does so at most every {@link #RECHECK}.
 */
final class RemoteModels implements AutoCloseable {

    private static final String SUFFIX = ".gguf";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** How long a listing trusts a resolution before asking the member about the file again. */
    static final Duration RECHECK = Duration.ofSeconds(60);

    /** A model of another member: its entry as clients see it, its file name, its shape, the member's name. */
    record Resolved(ModelEntry entry, String fileName, ModelShape shape, String holder) {
    }

    /** A resolution, the file's version it was read from, and when that was last confirmed. */
    private record Known(Resolved resolved, String version, long checkedNanos) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** By member name + '\n' + file name. */
    private final Map<String, Known> byHolderFile = new ConcurrentHashMap<>();

    /**
     * The model {@code name} means among the files of {@code nodes} (other members, not this node), as this node's
     * own catalog would match it (exact file name first, then {@code :latest} and tags, then ignoring case);
     * empty when none has it. Blocks on HTTP requests to the member.
     *
     * @throws IOException when the member that has it cannot be asked or its file is not a readable model
     */
    Optional<Resolved> resolve(String name, List<NodeProfile> nodes) throws IOException {
        Optional<Match> match = match(name, nodes);
        if (match.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(resolve(match.get().node(), match.get().file(), Duration.ZERO));
    }

    /**
     * Resolves every file of {@code nodes} not resolved within {@code RECHECK}, and forgets files no member lists
     * any more. A file that cannot be read is skipped (and tried again next time). Blocks on HTTP requests.
     */
    void refresh(List<NodeProfile> nodes) {
        Set<String> listed = new HashSet<>();
        for (NodeProfile n : nodes) {
            for (String file : n.modelFiles()) {
                listed.add(key(n.nodeName(), file));
                try {
                    resolve(n, file, RECHECK);
                } catch (IOException | RuntimeException e) {
                    // the member is going or its file is not a model: it is not listed until it can be read
                }
            }
        }
        byHolderFile.keySet().retainAll(listed);
    }

    /** The models resolved so far, one per name (the first member's file where several have one). */
    List<Resolved> known() {
        List<Resolved> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        byHolderFile.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Resolved r = e.getValue().resolved();
            if (names.add(r.entry().name())) {
                out.add(r);
            }
        });
        return out;
    }

    /** The resolution of {@code name} among those made so far, without asking anyone. */
    Optional<Resolved> cached(String name) {
        List<Resolved> made = byHolderFile.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getValue().resolved()).toList();
        return ModelCatalog.bestMatch(name, made, r -> r.entry().name());
    }

    private Resolved resolve(NodeProfile holder, String file, Duration trust) throws IOException {
        String key = key(holder.nodeName(), file);
        Known known = byHolderFile.get(key);
        if (known != null && System.nanoTime() - known.checkedNanos() < trust.toNanos()) {
            return known.resolved();
        }
        SliceFetch fetch = new SliceFetch(http, holder.httpBaseUrl(), file, REQUEST_TIMEOUT);
        SliceFetch.FileInfo info = fetch.info();
        String version = info.size() + "\n" + info.modified().toEpochMilli();
        if (known != null && known.version().equals(version)) {
            byHolderFile.put(key, new Known(known.resolved(), version, System.nanoTime()));
            return known.resolved();
        }
        Path dir = Files.createTempDirectory("shoal-header-");
        Path header = dir.resolve("model.gguf");
        try {
            fetch.fetchHeader(header);
            ModelEntry entry = ModelCatalog.remoteEntry(header, baseName(file),
                    Path.of(holder.nodeName() + ":" + file), info.size(), info.modified(), key + "\n" + version);
            ModelShape shape;
            try (GgufFile f = GgufFile.open(header)) {
                shape = ModelShape.of(f).withName(file);
            }
            Resolved r = new Resolved(entry, file, shape, holder.nodeName());
            byHolderFile.put(key, new Known(r, version, System.nanoTime()));
            return r;
        } catch (RuntimeException e) {
            throw new IOException(holder.nodeName() + "'s " + file + " is not a model this node can read: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        } finally {
            Files.deleteIfExists(header);
            Files.deleteIfExists(dir);
        }
    }

    private static String key(String node, String file) {
        return node + "\n" + file;
    }

    private record Match(NodeProfile node, String file) {
    }

    private static Optional<Match> match(String name, List<NodeProfile> nodes) {
        List<Match> files = new ArrayList<>();
        for (NodeProfile n : nodes) {
            for (String file : n.modelFiles()) {
                files.add(new Match(n, file));
            }
        }
        return ModelCatalog.bestMatch(name, files, m -> baseName(m.file()));
    }

    /** {@code extra/qwen3:8b.gguf} → {@code qwen3:8b}, as the catalog names a file. */
    static String baseName(String file) {
        String last = file.substring(file.lastIndexOf('/') + 1);
        return last.toLowerCase(Locale.ROOT).endsWith(SUFFIX) ? last.substring(0, last.length() - SUFFIX.length())
                : last;
    }

    /** Stops the client without waiting: it runs when the actor system has terminated, on a thread others share. */
    @Override
    public void close() {
        http.shutdownNow();
    }
}
