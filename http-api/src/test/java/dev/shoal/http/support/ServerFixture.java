package dev.shoal.http.support;

import dev.shoal.http.HttpServer;
import dev.shoal.http.ShoalMetrics;
import dev.shoal.tensor.SharedModels;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import com.typesafe.config.ConfigFactory;

/**
 * One real server for the whole test run: an actor system, the test engine, and the HTTP binding on a free port.
 * A second binding serves the same engine with a {@link ScriptedClusterView} behind {@code /cluster/*} (and
 * metrics of its own); the first runs without a cluster view, as the existing {@code HttpServer.start} overloads
 * do.
 */
public final class ServerFixture implements AutoCloseable {

    /** Small, so a paused worker fills it in a few requests. */
    public static final int QUEUE_CAPACITY = 2;

    public final ActorSystem<Void> system;
    public final LocalInferenceService service;
    public final ShoalMetrics metrics;
    public final ServerBinding binding;
    public final URI base;
    public final HttpClient client;
    public final ScriptedClusterView cluster;
    public final ShoalMetrics clusterMetrics;
    public final ServerBinding clusterBinding;
    public final URI clusterBase;

    private ServerFixture(ActorSystem<Void> system, LocalInferenceService service, ShoalMetrics metrics,
                          ServerBinding binding, ScriptedClusterView cluster, ShoalMetrics clusterMetrics,
                          ServerBinding clusterBinding) {
        this.system = system;
        this.service = service;
        this.metrics = metrics;
        this.binding = binding;
        InetSocketAddress at = binding.localAddress();
        this.base = URI.create("http://127.0.0.1:" + at.getPort());
        this.cluster = cluster;
        this.clusterMetrics = clusterMetrics;
        this.clusterBinding = clusterBinding;
        this.clusterBase = URI.create("http://127.0.0.1:" + clusterBinding.localAddress().getPort());
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static ServerFixture start() throws Exception {
        Path file = SharedModels.require("stories260K.gguf");
        LocalInferenceService service = new LocalInferenceService(file, QUEUE_CAPACITY);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "http-api-test",
                ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.stdout-loglevel = WARNING")
                        .withFallback(ConfigFactory.load()));
        ShoalMetrics metrics = new ShoalMetrics();
        ServerBinding binding = HttpServer.start(system, service, metrics, "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        ScriptedClusterView cluster = new ScriptedClusterView();
        ShoalMetrics clusterMetrics = new ShoalMetrics();
        ServerBinding clusterBinding = HttpServer.start(system, service, cluster, clusterMetrics, "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        return new ServerFixture(system, service, metrics, binding, cluster, clusterMetrics, clusterBinding);
    }

    /** The server without a cluster view. */
    public Client http() {
        return new Client(client, base);
    }

    /** The server with {@link #cluster} behind {@code /cluster/*}. */
    public Client clusterHttp() {
        return new Client(client, clusterBase);
    }

    @Override
    public void close() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        clusterBinding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        service.close();
    }
}
