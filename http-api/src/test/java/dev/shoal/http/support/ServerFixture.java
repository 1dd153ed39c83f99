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

/** One real server for the whole test run: an actor system, the test engine, and the HTTP binding on a free port. */
public final class ServerFixture implements AutoCloseable {

    /** Small, so a paused worker fills it in a few requests. */
    public static final int QUEUE_CAPACITY = 2;

    public final ActorSystem<Void> system;
    public final LocalInferenceService service;
    public final ShoalMetrics metrics;
    public final ServerBinding binding;
    public final URI base;
    public final HttpClient client;

    private ServerFixture(ActorSystem<Void> system, LocalInferenceService service, ShoalMetrics metrics,
                          ServerBinding binding) {
        this.system = system;
        this.service = service;
        this.metrics = metrics;
        this.binding = binding;
        InetSocketAddress at = binding.localAddress();
        this.base = URI.create("http://127.0.0.1:" + at.getPort());
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
        return new ServerFixture(system, service, metrics, binding);
    }

    public Client http() {
        return new Client(client, base);
    }

    @Override
    public void close() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        service.close();
    }
}
