package dev.shoal.http;

import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.InferenceService;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import scala.concurrent.duration.Duration;
import scala.concurrent.duration.FiniteDuration;

/** Binds the node's HTTP surface (OpenAI, Anthropic, Ollama, cluster, health, metrics) on one port. */
public final class HttpServer {

    /**
     * The least connection idle time the server allows. A non-streamed generation sends nothing until it ends,
     * often for minutes, and Pekko's default (60 s) would cut the connection under it.
     */
    public static final FiniteDuration MIN_IDLE_TIMEOUT = Duration.create(10, TimeUnit.MINUTES);

    private HttpServer() {
    }

    /** Without a cluster view ({@code /cluster/*} answers 404) and with metrics of its own. */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, InferenceService service, String host,
                                                       int port) {
        return start(system, service, null, new ShoalMetrics(), host, port);
    }

    /** With the caller's metrics, for a node that exposes more than the HTTP layer's own; no cluster view. */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, InferenceService service,
                                                       ShoalMetrics metrics, String host, int port) {
        return start(system, service, null, metrics, host, port);
    }

    /**
     * Everything, {@code /cluster/state} and {@code /cluster/placement/preview} included.
     *
     * @param cluster what the cluster endpoints show; null for a node without a cluster view (they answer 404)
     */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, InferenceService service,
                                                       ClusterView cluster, ShoalMetrics metrics, String host,
                                                       int port) {
        ServerSettings settings = ServerSettings.create(system.classicSystem());
        Duration idle = settings.getTimeouts().idleTimeout();
        if (idle.isFinite() && idle.lt(MIN_IDLE_TIMEOUT)) {
            settings = settings.withTimeouts(settings.getTimeouts().withIdleTimeout(MIN_IDLE_TIMEOUT));
        }
        return Http.get(system).newServerAt(host, port).withSettings(settings)
                .bind(ShoalRoutes.create(service, cluster, metrics));
    }
}
