package dev.shoal.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shoal.actors.PromptEncoder;
import dev.shoal.actors.api.Prompt;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Several node processes on 127.0.0.1 forming one cluster: the first is the seed (and the oldest member, so the
 * placement coordinator runs there); the others join it. Each gets its own config file, as a user would write.
 */
final class ClusterFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path dir;
    final Path models;
    final String commonConf;
    final List<NodeProcess> nodes = new ArrayList<>();
    private int seedPort;

    /** @param commonConf HOCON every node's file starts with (placement, engine limits) */
    ClusterFixture(Path dir, Path models, String commonConf) {
        this.dir = dir;
        this.models = models;
        this.commonConf = commonConf;
    }

    /**
     * Starts node {@code name}: the seed when it is the first, else a member joining the seed.
     *
     * @param extraConf HOCON of this node only, read after the fixture's lines (it may override them)
     */
    NodeProcess start(String name, String extraConf, String... jvmFlags) throws Exception {
        int pekko = freeTcpPort();
        if (nodes.isEmpty()) {
            seedPort = pekko;
        }
        int http = freeTcpPort();
        // the node's own lines last, so that they may override the fixture's (its models directory, say)
        String conf = commonConf + "\n" + """
                shoal.cluster.node-name = "%s"
                shoal.cluster.data-port = %d
                shoal.http.host = "127.0.0.1"
                shoal.http.port = %d
                shoal.models.dir = "%s"
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = %d
                pekko.cluster.seed-nodes = ["pekko://shoal@127.0.0.1:%d"]
                """.formatted(name, freeUdpPort(), http, models.toString().replace("\\", "/"), pekko, seedPort)
                + "\n" + extraConf + "\n";
        NodeProcess node = NodeProcess.start(dir, name, conf, http, jvmFlags);
        nodes.add(node);
        return node;
    }

    NodeProcess node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
    }

    /** Waits until {@code via} sees exactly {@code names} as members, all up and reachable. */
    void awaitMembers(NodeProcess via, List<String> names, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            try {
                JsonNode state = getJson(via, "/cluster/state");
                List<String> up = new ArrayList<>();
                for (JsonNode m : state.get("members")) {
                    if (m.get("status").asText().equals("up") && m.get("reachable").asBoolean()
                            && !m.get("capabilities").isNull()) {
                        up.add(m.get("node").asText());
                    }
                }
                up.sort(null);
                List<String> want = new ArrayList<>(names);
                want.sort(null);
                if (up.equals(want) && state.get("members").size() == names.size()) {
                    return;
                }
                last = state.toString();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("members " + names + " not all up within " + timeout + "; last state: " + last
                + "\n" + logs());
    }

    static JsonNode getJson(NodeProcess node, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.base() + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> post(NodeProcess node, String path, String body, Duration timeout)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(node.base() + path)).timeout(timeout)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The single-node greedy continuation of raw text, computed in this JVM by the engine. */
    String greedyText(String model, String prompt, int tokens) throws Exception {
        try (LocalModel lm = LocalModel.open(models.resolve(model + ".gguf"), 1, 512)) {
            int[] ids = PromptEncoder.encode(lm.tokenizer(), lm.chatTemplate(), new Prompt.Text(prompt, false, null));
            return Generator.generate(lm, ids, SamplingParams.greedy(), new GenerationLimits(tokens, 512), List.of(),
                    t -> true).text();
        }
    }

    /** A greedy {@code /v1/completions} answer of {@code node}. */
    String completion(NodeProcess node, String model, String prompt, int tokens) throws Exception {
        HttpResponse<String> r = post(node, "/v1/completions", """
                {"model":"%s","prompt":"%s","max_tokens":%d,"temperature":0}""".formatted(model, prompt, tokens),
                Duration.ofSeconds(120));
        assertEquals(200, r.statusCode(), () -> r.body() + logs());
        return JSON.readTree(r.body()).get("choices").get(0).get("text").asText();
    }

    /** What a streamed completion delivered: its text, how many chunks, and whether it ended with [DONE]. */
    record Streamed(String text, int chunks, boolean done) {
    }

    /**
     * Streams a greedy {@code /v1/completions} from {@code node} and runs {@code midway} once after
     * {@code afterChunks} chunks (a kill, say); fails on an error event.
     */
    Streamed streamCompletion(NodeProcess node, String model, String prompt, int tokens, int afterChunks,
                              ThrowingRunnable midway) throws Exception {
        HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.base()
                        + "/v1/completions")).timeout(Duration.ofSeconds(180)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"%s","prompt":"%s","max_tokens":%d,"temperature":0,"stream":true}"""
                        .formatted(model, prompt, tokens))).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        StringBuilder text = new StringBuilder();
        int chunks = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    return new Streamed(text.toString(), chunks, true);
                }
                JsonNode chunk = JSON.readTree(data);
                org.junit.jupiter.api.Assertions.assertFalse(chunk.has("error"), () -> "error event " + data + logs());
                text.append(chunk.get("choices").get(0).get("text").asText());
                if (++chunks == afterChunks) {
                    midway.run();
                }
            }
        }
        return new Streamed(text.toString(), chunks, false);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Every node's log, for a failure message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        for (NodeProcess n : nodes) {
            String text = n.logText();
            b.append("\n===== ").append(n.name).append(" =====\n")
                    .append(text.length() > 20_000 ? text.substring(text.length() - 20_000) : text);
        }
        return b.toString();
    }

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        // all at once: a node stopping alone would wait on the others' leaving
        List<Thread> stops = new ArrayList<>();
        for (NodeProcess n : nodes) {
            stops.add(Thread.ofPlatform().start(() -> {
                try {
                    n.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : stops) {
            t.join();
        }
    }
}
