package dev.shoal.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.actors.cluster.SliceFetch;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.model.LayerWeights;
import dev.shoal.tensor.model.Matrix;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node lends its model files' bytes ({@code GET /cluster/model-file[/info]}) over a real Pekko HTTP binding, and
 * {@link SliceFetch} on the other end rebuilds from them a scratch file from which a slice loads exactly as from the
 * whole file — while the parts of the file the slice does not read are never fetched.
 */
class ModelFileRoutesTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path models;
    static ActorSystem<Void> system;
    static ServerBinding binding;
    static String base;
    static HttpClient http;

    /** A view with nothing placed, lending {@code models}. */
    static final class Lending implements ClusterView {
        @Override
        public CompletionStage<ClusterState> state() {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("not in this test"));
        }

        @Override
        public CompletionStage<PlacementPreview> preview(String model, String mode) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("not in this test"));
        }

        @Override
        public Path modelsDir() {
            return models;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        models = Files.createDirectory(dir.resolve("models"));
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 7, 0.02f, null)
                .write(models.resolve("tiny.gguf"));
        Files.createDirectory(models.resolve("sub"));
        new SyntheticModelWriter(SyntheticShape.named("tiny-qwen2"), GgmlType.Q4_0, 11, 0.02f, null)
                .write(models.resolve("sub/qwen.gguf"));
        Files.writeString(dir.resolve("secret.gguf"), "not a model of this node");
        system = ActorSystem.create(Behaviors.empty(), "model-file-test",
                ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
        binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(ClusterRoutes.create(new Lending()))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (binding != null) {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        http.close();
    }

    static HttpResponse<byte[]> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode error(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body()).get("error");
    }

    @Test
    void infoShouldGiveTheFilesSizeAndWhereItsTensorDataStarts() throws Exception {
        HttpResponse<byte[]> r = get("/cluster/model-file/info?file=sub/qwen.gguf");
        assertEquals(200, r.statusCode(), new String(r.body()));
        JsonNode info = JSON.readTree(r.body());
        try (GgufFile f = GgufFile.open(models.resolve("sub/qwen.gguf"))) {
            assertEquals(Files.size(models.resolve("sub/qwen.gguf")), info.get("size").asLong());
            assertEquals(f.dataStart(), info.get("data_offset").asLong());
        }
    }

    @Test
    void aWindowShouldBeItsRangesBackToBack() throws Exception {
        byte[] file = Files.readAllBytes(models.resolve("tiny.gguf"));
        // three ranges of 1000 bytes, 300 000 apart: more than one read chunk of the server in all
        HttpResponse<byte[]> r = get("/cluster/model-file?file=tiny.gguf&offset=12345&length=1000&stride=300000"
                + "&count=3");
        assertEquals(200, r.statusCode(), new String(r.body()));
        assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElse(""));
        byte[] expected = new byte[3000];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(file, 12345 + i * 300_000, expected, i * 1000, 1000);
        }
        assertArrayEquals(expected, r.body());
        // one contiguous range larger than a chunk, ending at the file's last byte
        int len = 700_000;
        HttpResponse<byte[]> tail = get("/cluster/model-file?file=tiny.gguf&offset=" + (file.length - len)
                + "&length=" + len);
        assertEquals(200, tail.statusCode());
        assertArrayEquals(Arrays.copyOfRange(file, file.length - len, file.length), tail.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "file=", "file=tiny.gguf&length=10", "file=tiny.gguf&offset=0",
            "file=tiny.gguf&offset=x&length=10", "file=tiny.gguf&offset=-1&length=10",
            "file=tiny.gguf&offset=0&length=100&stride=50&count=2", "file=tiny.gguf&offset=0&length=0",
            "file=tiny.gguf&offset=0&length=10&count=0", "file=tiny.gguf&offset=9223372036854775000&length=10000"})
    void badParametersShouldBeA400NamingTheParameter(String query) throws Exception {
        HttpResponse<byte[]> r = get("/cluster/model-file?" + query);
        assertEquals(400, r.statusCode(), new String(r.body()));
        JsonNode e = error(r);
        assertEquals("invalid_request_error", e.get("type").asText());
        assertFalse(e.get("param").asText().isEmpty());
        assertFalse(e.get("message").asText().contains("Exception"), e.toString());
    }

    @Test
    void aWindowPastTheEndShouldBeA400SayingHowLongTheFileIs() throws Exception {
        long size = Files.size(models.resolve("tiny.gguf"));
        HttpResponse<byte[]> r = get("/cluster/model-file?file=tiny.gguf&offset=" + (size - 10) + "&length=11");
        assertEquals(400, r.statusCode());
        assertTrue(error(r).get("message").asText().contains("(" + size + " bytes)"), error(r).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nope.gguf", "../secret.gguf", "sub/../../secret.gguf", "sub", "/etc/passwd"})
    void onlyTheNodesOwnModelFilesShouldBeLent(String name) throws Exception {
        for (String path : List.of("/cluster/model-file/info?file=", "/cluster/model-file?offset=0&length=4&file=")) {
            HttpResponse<byte[]> r = get(path + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(404, r.statusCode(), new String(r.body()));
            assertEquals("model_file_not_found", error(r).get("code").asText());
        }
    }

    /** Tensor rank 1 of 2 (column windows of attn_output and ffn_down), the stages of a pipeline, a Qwen rank. */
    static List<Object[]> slices() {
        return List.of(
                new Object[] {"tiny.gguf", new Slice(0, 2, 1, 2, 384, 768, 256, 512)},
                new Object[] {"tiny.gguf", new Slice(0, 1, 0, 2, 0, 768, 0, 512)},
                new Object[] {"tiny.gguf", new Slice(1, 2, 0, 2, 0, 768, 0, 512)},
                new Object[] {"sub/qwen.gguf", new Slice(0, 2, 0, 1, 0, 384, 0, 256)});
    }

    @Test
    void aFetchedSliceShouldLoadExactlyAsFromTheWholeFileWithoutFetchingTheRest() throws Exception {
        for (Object[] c : slices()) {
            String name = (String) c[0];
            Slice slice = (Slice) c[1];
            Path scratch = dir.resolve("scratch-" + slice.layerStart() + slice.kvHeadStart() + ".part");
            SliceFetch fetch = new SliceFetch(http, base, name, Duration.ofSeconds(30));
            fetch.fetch(slice, scratch);
            long size = Files.size(models.resolve(name));
            assertEquals(size, Files.size(scratch), name + " " + slice);
            assertTrue(fetch.fetchedBytes() < size, fetch.fetchedBytes() + " of " + size + " fetched for " + slice);
            try (GgufFile whole = GgufFile.open(models.resolve(name)); GgufFile part = GgufFile.open(scratch);
                 Arena arena = Arena.ofConfined()) {
                ModelConfig c1 = ModelConfig.fromGguf(whole);
                ModelConfig c2 = ModelConfig.fromGguf(part);
                assertEquals(c1, c2);
                SliceWeights expected = SliceWeights.load(whole, c1, slice).compact(arena);
                SliceWeights actual = SliceWeights.load(part, c2, slice).compact(arena);
                List<Matrix> em = expected.matrices();
                List<Matrix> am = actual.matrices();
                assertEquals(em.size(), am.size());
                for (int i = 0; i < em.size(); i++) {
                    assertEquals(em.get(i).name(), am.get(i).name());
                    assertEquals(-1, em.get(i).data().mismatch(am.get(i).data()),
                            em.get(i).name() + " differs in " + name + " " + slice);
                }
                for (int l = 0; l < expected.layers().length; l++) {
                    LayerWeights a = expected.layers()[l];
                    LayerWeights b = actual.layers()[l];
                    assertArrayEquals(a.attnNorm(), b.attnNorm());
                    assertArrayEquals(a.ffnNorm(), b.ffnNorm());
                    assertArrayEquals(a.bq(), b.bq());
                    assertArrayEquals(a.bk(), b.bk());
                }
                assertArrayEquals(expected.outputNorm(), actual.outputNorm());
                // what no position of this slice reads was never fetched: the first row of ffn_up is another
                // rank's (or, on a later stage, layer 0 is another stage's)
                TensorInfo up = part.tensor("blk.0.ffn_up.weight");
                boolean readsIt = slice.layerStart() == 0 && slice.ffnStart() == 0;
                MemorySegment firstRow = part.data(up).asSlice(0, up.type().bytesFor(c2.dim()));
                MemorySegment original = whole.data(whole.tensor(up.name())).asSlice(0, firstRow.byteSize());
                assertEquals(readsIt, firstRow.mismatch(original) == -1, up.name() + " row 0 for " + slice);
            } finally {
                Files.deleteIfExists(scratch);
            }
        }
    }

    @Test
    void aKeptCopyShouldFetchOnlyWhatItDoesNotHoldAndGiveWayToANewerVersion() throws Exception {
        Path holderFile = models.resolve("kept.gguf");
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 21, 0.02f, null).write(holderFile);
        Path node = Files.createDirectories(dir.resolve("node-without-files"));
        Slice rank1 = new Slice(0, 2, 1, 2, 384, 768, 256, 512);
        Slice rank0 = new Slice(0, 2, 0, 1, 0, 384, 0, 256);

        SliceFetch first = new SliceFetch(http, base, "kept.gguf", Duration.ofSeconds(30));
        Path kept = first.fetchKept(rank1, node);
        assertTrue(first.fetchedBytes() > 0 && first.reusedBytes() == 0, first.fetchedBytes() + " fetched");
        assertSameSlice(holderFile, kept, rank1);

        // placed again: nothing crosses the network but the file's description
        SliceFetch again = new SliceFetch(http, base, "kept.gguf", Duration.ofSeconds(30));
        assertEquals(kept, again.fetchKept(rank1, node));
        assertEquals(0, again.fetchedBytes());
        assertEquals(first.fetchedBytes(), again.reusedBytes());
        assertSameSlice(holderFile, kept, rank1);

        // another slice of the same file: its own matrices only (the header and norms are held)
        SliceFetch other = new SliceFetch(http, base, "kept.gguf", Duration.ofSeconds(30));
        assertEquals(kept, other.fetchKept(rank0, node));
        assertTrue(other.reusedBytes() > 0 && other.fetchedBytes() > 0, other.reusedBytes() + " reused");
        assertSameSlice(holderFile, kept, rank0);
        assertSameSlice(holderFile, kept, rank1);
        // no model listing of the node shows the kept copy
        assertEquals(List.of(), dev.shoal.membership.ModelFiles.list(node));

        // the holder's file replaced by another version: a new kept copy, the old one deleted
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 22, 0.02f, null).write(holderFile);
        Files.setLastModifiedTime(holderFile, java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(holderFile).toMillis() + 5000));
        SliceFetch newer = new SliceFetch(http, base, "kept.gguf", Duration.ofSeconds(30));
        Path keptNewer = newer.fetchKept(rank1, node);
        assertFalse(keptNewer.equals(kept));
        assertFalse(Files.exists(kept));
        assertEquals(0, newer.reusedBytes());
        assertSameSlice(holderFile, keptNewer, rank1);
        try (java.util.stream.Stream<Path> left = Files.list(keptNewer.getParent())) {
            assertEquals(2, left.count(), "the copy and its index");
        }
        Files.delete(holderFile);
    }

    private static void assertSameSlice(Path whole, Path part, Slice slice) throws IOException {
        try (GgufFile w = GgufFile.open(whole); GgufFile p = GgufFile.open(part); Arena arena = Arena.ofConfined()) {
            ModelConfig c = ModelConfig.fromGguf(w);
            List<Matrix> expected = SliceWeights.load(w, c, slice).compact(arena).matrices();
            List<Matrix> actual = SliceWeights.load(p, ModelConfig.fromGguf(p), slice).compact(arena).matrices();
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(-1, expected.get(i).data().mismatch(actual.get(i).data()), expected.get(i).name());
            }
        }
    }

    @Test
    void aFetchShouldReportItsProgress() throws Exception {
        List<Long> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        SliceFetch fetch = new SliceFetch(http, base, "tiny.gguf", Duration.ofSeconds(30))
                .onProgress(reported::add, Duration.ZERO);
        Path scratch = dir.resolve("progress.part");
        try {
            fetch.fetch(new Slice(0, 2, 0, 1, 0, 384, 0, 256), scratch);
        } finally {
            Files.deleteIfExists(scratch);
        }
        assertTrue(reported.size() > 1, reported.toString());
        for (int i = 1; i < reported.size(); i++) {
            assertTrue(reported.get(i) > reported.get(i - 1), reported.toString());
        }
        assertEquals(fetch.fetchedBytes(), (long) reported.getLast());
        // throttled: nothing before the first interval has passed
        List<Long> none = new java.util.concurrent.CopyOnWriteArrayList<>();
        SliceFetch slow = new SliceFetch(http, base, "tiny.gguf", Duration.ofSeconds(30))
                .onProgress(none::add, Duration.ofHours(1));
        try {
            slow.fetch(new Slice(0, 2, 0, 1, 0, 384, 0, 256), scratch);
        } finally {
            Files.deleteIfExists(scratch);
        }
        assertEquals(List.of(), none);
    }

    @Test
    void fetchingAFileTheHolderDoesNotHaveShouldFailSayingSo() {
        SliceFetch fetch = new SliceFetch(http, base, "other.gguf", Duration.ofSeconds(30));
        IOException e = assertThrows(IOException.class,
                () -> fetch.fetch(new Slice(0, 1, 0, 1, 0, 32, 0, 32), dir.resolve("never.part")));
        assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("no model file 'other.gguf'"),
                e.getMessage());
    }

    @Test
    void aWindowTheHolderRefusesMidFetchShouldEndTheFetchWithItsErrorNotAHang() throws Exception {
        // a proxy in front of the holder passes the header, the 1-D tensors and the row-split matrices, and answers
        // 503 to the column-split windows (one range per row: count > 1), which the four parallel streams meet
        // among the others
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer proxy = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        proxy.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        proxy.createContext("/", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            byte[] body;
            int status;
            if (query != null && query.matches(".*count=([2-9]|\\d\\d+).*")) {
                refused.incrementAndGet();
                status = 503;
                body = "{\"error\":{\"message\":\"holder busy\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            } else {
                try {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base
                            + exchange.getRequestURI())).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    status = r.statusCode();
                    body = r.body();
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException(interrupted);
                }
            }
            exchange.sendResponseHeaders(status, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        proxy.start();
        try {
            SliceFetch fetch = new SliceFetch(http, "http://127.0.0.1:" + proxy.getAddress().getPort(), "tiny.gguf",
                    Duration.ofSeconds(30));
            Slice rank1 = new Slice(0, 2, 1, 2, 384, 768, 256, 512);
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> fetch.fetch(rank1, dir.resolve("refused.part")));
            assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("holder busy"), e.getMessage());
            assertTrue(refused.get() >= 1);
            assertTrue(System.nanoTime() - start < 20_000_000_000L, "the failed fetch took "
                    + (System.nanoTime() - start) / 1e9 + " s");
        } finally {
            proxy.stop(0);
        }
    }
}
