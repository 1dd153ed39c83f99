package dev.shoal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import dev.shoal.config.NodeSettings;
import dev.shoal.membership.JoinMethod;
import dev.shoal.tensor.SharedModels;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node started in-process on a free port, as {@code bin/shoal node} starts it. */
class ShoalNodeTest {

    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static HttpResponse<String> get(ShoalNode node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(ShoalNode node, String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(ShoalNode node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path);
    }

    static ShoalNode start(Path models, Map<String, Object> overrides) {
        Map<String, Object> all = new java.util.HashMap<>(Map.of("shoal.models.dir", models.toString(),
                "shoal.http.port", 0, "shoal.engine.threads", 2, "shoal.engine.context-length", 256,
                "shoal.memory.budget", "1 GiB"));
        all.putAll(overrides);
        Config config = NodeConfig.load(null, all);
        return ShoalNode.start(config, NodeSettings.fromConfig(config));
    }

    @Test
    void aNodeShouldServeItsModelsOverHttpAsAClusterOfOneAndStopGracefully(@TempDir Path models) throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        ShoalNode node = start(models, Map.of());
        try {
            assertEquals("shoal node ready: http://127.0.0.1:" + node.httpAddress().getPort() + " (models: "
                    + models.toAbsolutePath() + ", 1 found)", node.readyLine());
            assertEquals("cluster", node.system().settings().config().getString("pekko.actor.provider"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (Cluster.get(node.system()).selfMember().status() != MemberStatus.up()) {
                assertTrue(System.nanoTime() < deadline, "the node never became Up in its own cluster");
                Thread.sleep(50);
            }
            assertInstanceOf(JoinMethod.SelfJoin.class, node.membership().joinMethod());
            assertTrue(java.lang.management.ManagementFactory.getPlatformMBeanServer()
                    .isRegistered(node.membership().objectName()), "dev.shoal:type=Node is registered");
            assertEquals("http://127.0.0.1:" + node.httpAddress().getPort(), node.membership().profile().httpBaseUrl());
            assertEquals(List.of("stories260K.gguf"), node.membership().profile().modelFiles());

            HttpResponse<String> tags = get(node, "/api/tags");
            assertEquals(200, tags.statusCode(), tags.body());
            assertTrue(tags.body().contains("\"stories260K"), tags.body());

            HttpResponse<String> gen = post(node, "/api/generate", """
                    {"model": "stories260K", "prompt": "Once upon a time", "stream": false,
                     "options": {"temperature": 0, "num_predict": 12}}""");
            assertEquals(200, gen.statusCode(), gen.body());
            assertTrue(gen.body().contains("\"done\":true"), gen.body());

            HttpResponse<String> ps = get(node, "/api/ps");
            assertTrue(ps.body().contains("stories260K"), ps.body());
        } finally {
            node.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        assertTrue(node.whenTerminated().toCompletableFuture().isDone());
        assertFalse(java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .isRegistered(node.membership().objectName()), "the JMX bean went with the node");
        assertEquals(java.util.List.of(), node.service().loaded(), "models were unloaded");
        IOException refused = assertThrows(IOException.class, () -> get(node, "/api/tags"));
        assertTrue(refused instanceof ConnectException || refused.getCause() instanceof ConnectException,
                refused.toString());
    }

    /** A listener slowed down to {@code millisPerPiece} per text piece, recording how the generation ended. */
    static final class SlowListener implements GenerationListener {
        final CompletableFuture<Object> end = new CompletableFuture<>();
        final CountDownLatch started = new CountDownLatch(1);
        private final long millisPerPiece;

        SlowListener(long millisPerPiece) {
            this.millisPerPiece = millisPerPiece;
        }

        @Override
        public void onStart(int promptTokens) {
        }

        @Override
        public void onText(String text) {
            started.countDown();
            try {
                Thread.sleep(millisPerPiece);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void onComplete(Completion completion) {
            end.complete(completion);
        }

        @Override
        public void onError(ServiceError error) {
            end.complete(error);
        }
    }

    static GenerationJob story(int maxTokens) {
        return new GenerationJob("stories260K", new Prompt.Text("Once upon a time", false, null),
                SamplingParams.greedy(), maxTokens, List.of(), null);
    }

    @Test
    void shutdownShouldLetRunningGenerationsFinishWithinTheDeadline(@TempDir Path models) throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        ShoalNode node = start(models, Map.of("shoal.http.shutdown-deadline", "20 s"));
        SlowListener finishes = new SlowListener(5);
        node.service().submit(story(150), finishes);
        assertTrue(finishes.started.await(20, TimeUnit.SECONDS));
        node.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Completion c = assertInstanceOf(Completion.class, finishes.end.getNow(null), "ended before the models closed");
        assertEquals(StopReason.MAX_TOKENS, c.stopReason());
        assertEquals(150, c.completionTokens());
    }

    @Test
    void shutdownShouldCancelGenerationsStillRunningAtTheDeadline(@TempDir Path models) throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
        ShoalNode node = start(models, Map.of("shoal.http.shutdown-deadline", "300 ms"));
        SlowListener cut = new SlowListener(20);
        node.service().submit(story(0), cut);
        assertTrue(cut.started.await(20, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        node.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "did not wait for the whole context");
        Completion c = assertInstanceOf(Completion.class, cut.end.get(10, TimeUnit.SECONDS));
        assertEquals(StopReason.CANCELLED, c.stopReason());
    }

    @Test
    void aTakenPortShouldFailStartUpWithOneLine(@TempDir Path models) throws Exception {
        ShoalNode first = start(models, Map.of());
        try {
            int port = first.httpAddress().getPort();
            NodeStartException e = assertThrows(NodeStartException.class,
                    () -> start(models, Map.of("shoal.http.port", port)));
            assertTrue(e.getMessage().startsWith("cannot listen on http://127.0.0.1:" + port + ": "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        } finally {
            first.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }
}
