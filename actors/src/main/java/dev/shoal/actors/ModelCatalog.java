package dev.shoal.actors;

import dev.shoal.actors.api.ModelEntry;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufMetadata;
import dev.shoal.tensor.gguf.MetadataValue;
import dev.shoal.tensor.gguf.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code *.gguf} files of the models directory, by name. Files lie in the directory itself or one level down
 * ({@code DIR/NAME.gguf}, {@code DIR/SUBDIR/NAME.gguf}); the name is the file name without {@code .gguf}, and the
 * first one found wins when two share a name (top level first, then by path).
 *
 * <p>Each file's header is read once per (size, modification time): a rescan only lists the directory and parses
 * new or changed files, so it is cheap enough to run whenever a name is not found. Files that do not parse are
 * named in one warning per rescan that finds them and left out. Thread-safe: readers see an immutable snapshot.
 */
public final class ModelCatalog {

    private static final Logger log = LoggerFactory.getLogger(ModelCatalog.class);
    private static final String SUFFIX = ".gguf";

    private final Path dir;
    /** Parsed headers (or parse failures) by file, keyed to the size and mtime they were read at. */
    private final Map<Path, Scanned> cache = new HashMap<>();
    private volatile List<ModelFile> files = List.of();

    /** One file's last scan: either {@code model} or {@code failure} is set. */
    private record Scanned(long size, Instant modified, ModelFile model, String failure) {
    }

    private ModelCatalog(Path dir) {
        this.dir = dir;
    }

    /** A catalog of {@code dir}, scanned now; a missing directory gives an empty catalog. */
    public static ModelCatalog scan(Path dir) {
        ModelCatalog c = new ModelCatalog(dir);
        c.refresh();
        return c;
    }

    public Path dir() {
        return dir;
    }

    /** The models of the last scan, sorted by name. */
    public List<ModelEntry> entries() {
        return files.stream().map(ModelFile::entry).toList();
    }

    List<ModelFile> files() {
        return files;
    }

    /** Rescans the directory; returns the models found. */
    public synchronized List<ModelEntry> refresh() {
        List<Path> paths = list();
        Map<String, ModelFile> byName = new LinkedHashMap<>();
        List<String> newFailures = new ArrayList<>();
        Map<Path, Scanned> seen = new HashMap<>();
        for (Path p : paths) {
            Scanned s = scanned(p, newFailures);
            if (s == null) {
                continue;
            }
            seen.put(p, s);
            if (s.model() != null) {
                ModelFile prior = byName.putIfAbsent(s.model().name(), s.model());
                if (prior != null) {
                    log.warn("two model files are named '{}': using {}, ignoring {}", s.model().name(),
                            prior.entry().path(), p);
                }
            }
        }
        cache.keySet().retainAll(seen.keySet());
        if (!newFailures.isEmpty()) {
            log.warn("skipped {} model file(s) in {} that do not parse: {}", newFailures.size(), dir,
                    String.join("; ", newFailures));
        }
        files = byName.values().stream().sorted(Comparator.comparing(ModelFile::name)).toList();
        return entries();
    }

    /**
     * The model a client's name means: {@code name}, {@code name:latest} (= {@code name}), or {@code name:tag}
     * for a file named {@code name:tag.gguf} or {@code name-tag.gguf}; exact case first, then ignoring case.
     * Looks in the last scan only.
     */
    public Optional<ModelEntry> lookup(String name) {
        return lookupFile(name).map(ModelFile::entry);
    }

    /** Like {@link #lookup}, rescanning the directory once when the name is not in the last scan. */
    public Optional<ModelEntry> find(String name) {
        return findFile(name).map(ModelFile::entry);
    }

    Optional<ModelFile> findFile(String name) {
        Optional<ModelFile> m = lookupFile(name);
        if (m.isEmpty() && name != null && !name.isBlank()) {
            refresh();
            m = lookupFile(name);
        }
        return m;
    }

    Optional<ModelFile> lookupFile(String name) {
        return bestMatch(name, files, ModelFile::name);
    }

    /**
     * The first of {@code items} (in order) whose catalog name {@code name} means: each of {@link #candidates}, most
     * literal first, exactly; then the same ignoring case. Empty for a blank name or no match. The one matching rule
     * for this node's files and for other members' ({@code RemoteModels}).
     */
    public static <T> Optional<T> bestMatch(String name, List<T> items,
                                            java.util.function.Function<T, String> nameOf) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        List<String> candidates = candidates(name.strip());
        for (boolean ignoreCase : new boolean[] {false, true}) {
            for (String candidate : candidates) {
                for (T item : items) {
                    String n = nameOf.apply(item);
                    if (ignoreCase ? n.equalsIgnoreCase(candidate) : n.equals(candidate)) {
                        return Optional.of(item);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** File names (without .gguf) a client name may mean, most literal first. */
    static List<String> candidates(String name) {
        List<String> out = new ArrayList<>();
        out.add(name);
        int colon = name.lastIndexOf(':');
        if (colon > 0 && colon < name.length() - 1) {
            String base = name.substring(0, colon);
            String tag = name.substring(colon + 1);
            if (tag.equalsIgnoreCase("latest")) {
                out.add(base);
            }
            out.add(base + "-" + tag);
        }
        return out;
    }

    private List<Path> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> top = new ArrayList<>();
        List<Path> nested = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (isModelFile(p)) {
                    top.add(p);
                } else if (Files.isDirectory(p)) {
                    try (Stream<Path> inner = Files.list(p)) {
                        inner.filter(ModelCatalog::isModelFile).sorted().forEach(nested::add);
                    } catch (IOException e) {
                        log.warn("cannot list {}: {}", p, e.toString());
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cannot list the models directory {}: {}", dir, e.toString());
        }
        top.addAll(nested);
        return top;
    }

    private static boolean isModelFile(Path p) {
        String n = p.getFileName().toString();
        return n.toLowerCase(Locale.ROOT).endsWith(SUFFIX) && n.length() > SUFFIX.length() && Files.isRegularFile(p);
    }

    /** The cached scan of {@code p} if it is unchanged, else a fresh one; null when the file vanished. */
    private Scanned scanned(Path p, List<String> newFailures) {
        long size;
        Instant modified;
        try {
            size = Files.size(p);
            modified = Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            return null;
        }
        Scanned prior = cache.get(p);
        if (prior != null && prior.size() == size && prior.modified().equals(modified)) {
            return prior;
        }
        Scanned s;
        try {
            s = new Scanned(size, modified, read(p, size, modified), null);
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            s = new Scanned(size, modified, null, why);
            newFailures.add(p.getFileName() + " (" + why.replaceAll("\\s*\\R\\s*", " ") + ")");
        }
        cache.put(p, s);
        return s;
    }

    /** Reads one file's header into a catalog entry; the mapping is closed before returning. */
    static ModelFile read(Path path, long size, Instant modified) throws IOException {
        String fileName = path.getFileName().toString();
        return read(path, fileName.substring(0, fileName.length() - SUFFIX.length()), path.toAbsolutePath(), size,
                modified, digest(path, size, modified));
    }

    /**
     * The entry of a model another node has, read from a local copy of its file's header ({@code header}: the
     * header's bytes at their places, the tensor data possibly absent).
     *
     * @param shownPath what the entry names as its path (where the file lives, for people)
     * @param origin    what identifies the file for its digest (its node, path, size and modification time)
     */
    public static ModelEntry remoteEntry(Path header, String name, Path shownPath, long size, Instant modified,
                                         String origin) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String digest = HexFormat.of().formatHex(sha.digest(origin.getBytes(StandardCharsets.UTF_8)));
            return read(header, name, shownPath, size, modified, digest).entry();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ModelFile read(Path path, String name, Path shownPath, long size, Instant modified, String digest)
            throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            GgufMetadata md = f.metadata();
            String arch = md.optString("general.architecture").orElse("unknown");
            String p = arch + ".";
            long params = 0;
            for (TensorInfo t : f.tensors()) {
                params += t.elementCount();
            }
            String quant = md.optInteger("general.file_type").stream()
                    .mapToObj(FileTypes::name).flatMap(Optional::stream).findFirst()
                    .or(() -> FileTypes.dominantMatrixType(f.tensors()).map(Enum::name))
                    .orElse("unknown");
            // llama.cpp's default when the trained context is not recorded (as ModelConfig uses)
            int context = (int) Math.min(Integer.MAX_VALUE, md.optInteger(p + "context_length").orElse(2048));
            int layers = (int) md.optInteger(p + "block_count").orElse(0);
            int heads = (int) md.optInteger(p + "attention.head_count").orElse(1);
            int kvHeads = (int) md.optInteger(p + "attention.head_count_kv").orElse(heads);
            long embedding = md.optInteger(p + "embedding_length").orElse(0);
            int keyLength = (int) md.optInteger(p + "attention.key_length").orElse(heads > 0 ? embedding / heads : 0);
            int valueLength = (int) md.optInteger(p + "attention.value_length").orElse(keyLength);
            ModelEntry entry = new ModelEntry(name, shownPath, size, modified, arch, quant, params, context, digest,
                    details(md));
            return new ModelFile(entry, layers, kvHeads, keyLength, valueLength);
        }
    }

    /** Every scalar metadata entry in file order (arrays such as the vocabulary are left out): /api/show's model_info. */
    private static Map<String, Object> details(GgufMetadata md) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, MetadataValue> e : md.entries().entrySet()) {
            Object v = e.getValue().value();
            if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                out.put(e.getKey(), v);
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** A stable id of (path, size, mtime) as 64 hex digits; not a content hash (that would read every byte). */
    static String digest(Path path, long size, Instant modified) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String key = path.toAbsolutePath() + "\n" + size + "\n" + modified.toEpochMilli();
            return HexFormat.of().formatHex(sha.digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
