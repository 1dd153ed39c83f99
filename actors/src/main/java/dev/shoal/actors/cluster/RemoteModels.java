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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models this node has no file of but another member has: a client may name them on any node. One is resolved by
 * fetching its file's header (and 1-D tensors) from the member that has it ({@link SliceFetch#fetchHeader}) into
 * a temporary file, reading the catalog entry and the planner's shape from it, and deleting it. Resolutions are
 * kept per (member, file, size, modification time); each use asks the member for the file's size and time again
 * (one small request), so a file replaced there is read anew.
 */
final class RemoteModels implements AutoCloseable {

    private static final String SUFFIX = ".gguf";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    /** A model of another member: its entry as clients see it, its file name, its shape, the member's name. */
    record Resolved(ModelEntry entry, String fileName, ModelShape shape, String holder) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, Resolved> byOrigin = new ConcurrentHashMap<>();
    /** By client name, the last resolution, for listings of one model ({@code /api/show}). */
    private final Map<String, Resolved> byName = new ConcurrentHashMap<>();

    /**
     * The model {@code name} means among the files of {@code nodes} (other members, not this node), as this node's
     * own catalog would match it (exact file name first, then {@code :latest} and tags, then ignoring case);
     * empty when none has it. Blocks on HTTP requests to the member.
     *
     * @throws IOException when the member that has it cannot be asked or its file is not a readable model
     */
    Optional<Resolved> resolve(String name, List<NodeProfile> nodes) throws IOException {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        Optional<Match> match = match(name.strip(), nodes);
        if (match.isEmpty()) {
            return Optional.empty();
        }
        NodeProfile holder = match.get().node();
        String file = match.get().file();
        SliceFetch fetch = new SliceFetch(http, holder.httpBaseUrl(), file, REQUEST_TIMEOUT);
        SliceFetch.FileInfo info = fetch.info();
        String origin = holder.nodeName() + "\n" + file + "\n" + info.size() + "\n" + info.modified().toEpochMilli();
        Resolved known = byOrigin.get(origin);
        if (known != null) {
            return Optional.of(known);
        }
        Path dir = Files.createTempDirectory("shoal-header-");
        Path header = dir.resolve("model.gguf");
        try {
            fetch.fetchHeader(header);
            ModelEntry entry = ModelCatalog.remoteEntry(header, baseName(file),
                    Path.of(holder.nodeName() + ":" + file), info.size(), info.modified(), origin);
            ModelShape shape;
            try (GgufFile f = GgufFile.open(header)) {
                shape = ModelShape.of(f).withName(file);
            }
            Resolved r = new Resolved(entry, file, shape, holder.nodeName());
            byOrigin.put(origin, r);
            byName.put(name.strip(), r);
            return Optional.of(r);
        } catch (RuntimeException e) {
            throw new IOException(holder.nodeName() + "'s " + file + " is not a model this node can read: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        } finally {
            Files.deleteIfExists(header);
            Files.deleteIfExists(dir);
        }
    }

    /** The last resolution of {@code name}, without asking anyone. */
    Optional<Resolved> cached(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name.strip()));
    }

    private record Match(NodeProfile node, String file) {
    }

    private static Optional<Match> match(String name, List<NodeProfile> nodes) {
        List<String> candidates = ModelCatalog.candidates(name);
        for (boolean ignoreCase : new boolean[] {false, true}) {
            for (String candidate : candidates) {
                for (NodeProfile n : nodes) {
                    for (String file : n.modelFiles()) {
                        String base = baseName(file);
                        if (ignoreCase ? base.equalsIgnoreCase(candidate) : base.equals(candidate)) {
                            return Optional.of(new Match(n, file));
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** {@code extra/qwen3:8b.gguf} → {@code qwen3:8b}, as the catalog names a file. */
    static String baseName(String file) {
        String last = file.substring(file.lastIndexOf('/') + 1);
        return last.toLowerCase(Locale.ROOT).endsWith(SUFFIX) ? last.substring(0, last.length() - SUFFIX.length())
                : last;
    }

    @Override
    public void close() {
        http.close();
    }
}
