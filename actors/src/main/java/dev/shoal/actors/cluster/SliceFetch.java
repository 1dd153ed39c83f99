package dev.shoal.actors.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shoal.actors.api.FileWindow;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceWeights;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes a slice of a model loadable on a node that does not have the model file: fetches from a node that has it
 * ({@code GET /cluster/model-file}, served by the HTTP layer) the file's header, its 1-D tensors (norms, biases,
 * RoPE factors: a few KiB each) and the matrix windows the slice reads, into a sparse file of the whole file's
 * size. Everything the slice does not read stays a hole, so the file takes the slice's bytes on disk and the engine
 * loads it exactly as from a full copy ({@code SliceWeights.load(...).compact(...)}). Either a scratch file the
 * caller deletes once the slice is in memory ({@link #fetch}), or the node's kept copy of that version of the
 * file ({@link #fetchKept}), to which each placement adds only the windows it lacks.
 *
 * <p>Which windows a slice reads is not worked out here a second time: the slice is first "loaded" from the
 * scratch file with only the header and the 1-D tensors present, which gives its matrices as windows onto the file
 * (no matrix byte is read yet); their rows are what is fetched.
 */
public final class SliceFetch {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER = 1 << 20;
    /** Windows fetched at once. */
    static final int PARALLEL = 4;

    private final HttpClient http;
    private final String holder;
    private final String fileName;
    private final Duration timeout;
    private final AtomicLong fetched = new AtomicLong();
    private long reused;
    private java.util.function.LongConsumer progress;
    private long progressEvery;
    private long lastProgress;
    private long lastReported;

    /**
     * @param holderBaseUrl the HTTP API of a node that has the file, {@code http://host:port}
     * @param fileName      the file as the nodes name it (its path under the models directory, '/'-separated)
     * @param timeout       the longest one request may take
     */
    public SliceFetch(HttpClient http, String holderBaseUrl, String fileName, Duration timeout) {
        this.http = http;
        this.holder = holderBaseUrl.endsWith("/") ? holderBaseUrl.substring(0, holderBaseUrl.length() - 1)
                : holderBaseUrl;
        this.fileName = fileName;
        this.timeout = timeout;
    }

    /**
     * Tells {@code listener} the bytes fetched so far, at most once per {@code every} (and not at all before the
     * first {@code every} has passed), from a fetching thread (one call at a time).
     */
    public SliceFetch onProgress(java.util.function.LongConsumer listener, Duration every) {
        this.progress = listener;
        this.progressEvery = every.toNanos();
        this.lastProgress = System.nanoTime();
        return this;
    }

    /** Bytes fetched so far. */
    public long fetchedBytes() {
        return fetched.get();
    }

    /** Bytes a kept copy already held, so they were not fetched again. */
    public long reusedBytes() {
        return reused;
    }

    /** What the holder says of its file: its size, where its tensor data starts, when it was last modified. */
    public record FileInfo(long size, long dataOffset, java.time.Instant modified) {
    }

    /**
     * Writes into {@code scratch} (created, or overwritten) what loading {@code slice} reads.
     *
     * @throws IOException naming the holder and what failed, when a request fails or the holder's file is not the
     *                     model the slice was planned for (its header says so when it is opened)
     */
    public void fetch(Slice slice, Path scratch) throws IOException {
        FileInfo info = info();
        fetch(slice, scratch, info, new HashSet<>(), null);
    }

    /**
     * Makes the node's kept copy of the file ({@code modelsDir/.shoal-fetched/NAME-SIZE-MTIME.part}, sparse) hold
     * what loading {@code slice} reads, fetching only the windows it does not hold yet (its index, beside it, lists
     * the windows it holds, each written after its bytes); kept copies of other versions of the file are deleted.
     *
     * @return the kept copy, to load the slice from
     */
    public Path fetchKept(Slice slice, Path modelsDir) throws IOException {
        FileInfo info = info();
        Path dir = Files.createDirectories(modelsDir.resolve(KEPT_DIR));
        String base = fileName.replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = dir.resolve(base + "-" + info.size() + "-" + info.modified().toEpochMilli() + ".part");
        Path index = dir.resolve(file.getFileName() + ".windows");
        synchronized (KEPT_LOCKS.computeIfAbsent(file.toAbsolutePath().toString(), k -> new Object())) {
            java.util.regex.Pattern versions = java.util.regex.Pattern.compile(
                    java.util.regex.Pattern.quote(base) + "-\\d+-\\d+\\.part(\\.windows)?");
            try (java.util.stream.Stream<Path> kept = Files.list(dir)) {
                for (Path p : kept.toList()) {
                    if (!p.equals(file) && !p.equals(index) && versions.matcher(p.getFileName().toString()).matches()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Set<FileWindow> held = new HashSet<>();
            if (Files.isRegularFile(file) && Files.size(file) == info.size() && Files.isRegularFile(index)) {
                for (String line : Files.readAllLines(index)) {
                    String[] f = line.strip().split(" ");
                    if (f.length == 4) { // a line cut short by a crash is left out: its window is fetched again
                        held.add(new FileWindow(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                                Integer.parseInt(f[3])));
                    }
                }
            } else {
                Files.deleteIfExists(index);
            }
            fetch(slice, file, info, held, index);
            return file;
        }
    }

    /** Kept copies of fetched files, under the models directory; no model scan lists them (not {@code *.gguf}). */
    static final String KEPT_DIR = ".shoal-fetched";
    private static final java.util.concurrent.ConcurrentMap<String, Object> KEPT_LOCKS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Into {@code file}: the header, the 1-D tensors, the slice's matrix windows — each unless {@code held} has it;
     * every window fetched is added to {@code held} and, with an {@code index}, appended to it. An empty
     * {@code held} starts the file afresh, sparse, at the whole file's size.
     */
    private void fetch(Slice slice, Path file, FileInfo info, Set<FileWindow> held, Path index) throws IOException {
        if (held.isEmpty()) {
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SPARSE)) {
                out.truncate(0);
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(info.size());
            }
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ensureAll(out, List.of(FileWindow.range(0, info.dataOffset())), held, index);
            List<FileWindow> small = new ArrayList<>();
            try (GgufFile header = GgufFile.open(file)) {
                if (header.dataStart() != info.dataOffset()) {
                    throw new IOException(holder + "'s " + fileName + " header ends at " + header.dataStart()
                            + ", not at " + info.dataOffset() + " as it said");
                }
                for (TensorInfo t : header.tensors()) {
                    if (t.rank() == 1 && t.byteSize() > 0) {
                        small.add(FileWindow.range(header.dataStart() + t.offset(), t.byteSize()));
                    }
                }
            }
            ensureAll(out, small, held, index);
            if (slice == null) {
                return;
            }
            List<FileWindow> matrices = new ArrayList<>();
            try (GgufFile partial = GgufFile.open(file)) {
                ModelConfig c = ModelConfig.fromGguf(partial);
                SliceWeights windows = SliceWeights.load(partial, c, slice.validate(c));
                for (Matrix m : windows.matrices()) {
                    matrices.add(windowOf(partial, m));
                }
            }
            ensureAll(out, matrices, held, index);
        }
    }

    private synchronized void fetchedWindow(FileWindow w, Set<FileWindow> held, Path index) throws IOException {
        held.add(w);
        if (index != null) {
            Files.writeString(index, w.offset() + " " + w.length() + " " + w.stride() + " " + w.count() + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /**
     * Fetches the windows {@code held} lacks, {@value #PARALLEL} requests at a time (one HTTP stream is bounded by one
     * core's copying on each side, ~300–450 MB/s here, well below a Thunderbolt link); each request writes its own
     * file ranges. Returns once all are written, or throws the first failure.
     */
    private void ensureAll(FileChannel out, List<FileWindow> windows, Set<FileWindow> held, Path index)
            throws IOException {
        List<FileWindow> todo = new ArrayList<>();
        for (FileWindow w : windows) {
            if (held.contains(w)) {
                reused += w.totalBytes();
            } else {
                todo.add(w);
            }
        }
        ConcurrentLinkedQueue<FileWindow> queue = new ConcurrentLinkedQueue<>(
                todo);
        int streams = Math.min(PARALLEL, todo.size());
        List<Future<Void>> running = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < streams; i++) {
                running.add(pool.submit(() -> {
                    for (FileWindow w; (w = queue.poll()) != null; ) {
                        fetchInto(out, w);
                        fetchedWindow(w, held, index);
                    }
                    return null;
                }));
            }
            for (Future<Void> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    queue.clear(); // the other streams finish the window they are on, then stop
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("fetching " + fileName + " from " + holder + ": " + cause, cause);
                } catch (InterruptedException e) {
                    queue.clear();
                    Thread.currentThread().interrupt();
                    throw new IOException("fetching " + fileName + " from " + holder + " was interrupted", e);
                }
            }
        }
    }

    /** The holder's description of the file ({@code GET /cluster/model-file/info}). */
    public FileInfo info() throws IOException {
        JsonNode info = getJson("/cluster/model-file/info?file=" + encode(fileName));
        long size = info.path("size").asLong(-1);
        long dataOffset = info.path("data_offset").asLong(-1);
        if (size <= 0 || dataOffset <= 0 || dataOffset > size) {
            throw new IOException(holder + " describes " + fileName + " as " + info + ": not a GGUF file's layout");
        }
        return new FileInfo(size, dataOffset, java.time.Instant.ofEpochMilli(info.path("modified_ms").asLong(0)));
    }

    /**
     * Writes into {@code scratch} (created, or overwritten; sparse, the whole file's size) the file's header and its
     * 1-D tensors: enough to open it and read its configuration, tokenizer and shape, no matrix.
     */
    public FileInfo fetchHeader(Path scratch) throws IOException {
        FileInfo info = info();
        fetch(null, scratch, info, new HashSet<>(), null);
        return info;
    }

    /** The rows of {@code m} as file ranges: one range when they are whole rows, back to back. */
    static FileWindow windowOf(GgufFile file, Matrix m) {
        TensorInfo t = file.tensor(m.name());
        long base = file.dataStart() + t.offset();
        long packedRow = m.kernel().type().bytesFor(m.cols());
        if (packedRow == m.rowBytes()) {
            return FileWindow.range(base + m.offsetOf(0), packedRow * m.rows());
        }
        return new FileWindow(base + m.offsetOf(0), packedRow, m.rowBytes(), m.rows());
    }

    private void fetchInto(FileChannel out, FileWindow w) throws IOException {
        HttpResponse<InputStream> r = send("/cluster/model-file?file=" + encode(fileName) + "&" + w.query(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                throw failure(r.statusCode(), new String(in.readNBytes(4096), StandardCharsets.UTF_8));
            }
            byte[] buf = new byte[(int) Math.min(BUFFER, w.totalBytes())];
            for (int range = 0; range < w.count(); range++) {
                long pos = w.offset() + range * w.stride();
                long left = w.length();
                while (left > 0) {
                    int n = in.readNBytes(buf, 0, (int) Math.min(buf.length, left));
                    if (n == 0) {
                        throw new IOException(holder + " ended the bytes of " + fileName + " early (window "
                                + w.query() + ")");
                    }
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) {
                        pos += out.write(b, pos);
                    }
                    left -= n;
                    fetched.addAndGet(n);
                    if (progress != null) {
                        reportProgress();
                    }
                }
            }
        }
    }

    /**
     * Reads the total under the lock, and tells only a grown one: parallel streams' own totals would reach the
     * listener out of order, or twice.
     */
    private synchronized void reportProgress() {
        long total = fetched.get();
        if (total > lastReported && System.nanoTime() - lastProgress >= progressEvery) {
            lastProgress = System.nanoTime();
            lastReported = total;
            progress.accept(total);
        }
    }

    private JsonNode getJson(String pathAndQuery) throws IOException {
        HttpResponse<String> r = send(pathAndQuery, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw failure(r.statusCode(), r.body());
        }
        return JSON.readTree(r.body());
    }

    private <T> HttpResponse<T> send(String pathAndQuery, HttpResponse.BodyHandler<T> body) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(holder + pathAndQuery)).timeout(timeout).GET().build(),
                    body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + fileName + " from " + holder, e);
        } catch (IOException e) {
            throw new IOException("cannot fetch " + fileName + " from " + holder + ": " + e, e);
        }
    }

    private IOException failure(int status, String body) {
        String message = body;
        try {
            JsonNode m = JSON.readTree(body).path("error").path("message");
            if (m.isTextual()) {
                message = m.asText();
            }
        } catch (IOException | RuntimeException e) {
            // not the node's error shape: the body as it is
        }
        return new IOException(holder + " refused " + fileName + " (HTTP " + status + "): " + message);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The scratch file for one entity, beside the models (same disk), under a name no model scan lists. */
    static Path scratchFor(Path modelsDir, String entityId) throws IOException {
        Files.createDirectories(modelsDir);
        return modelsDir.resolve(".shoal-fetch-" + entityId.replaceAll("[^A-Za-z0-9._-]", "_") + ".part");
    }
}
