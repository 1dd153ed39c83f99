package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.head;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;

import dev.shoal.actors.api.InferenceService;
import dev.shoal.http.common.Json;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;

/** The node's own endpoints: liveness, readiness, Prometheus metrics, and a banner at {@code /}. */
final class NodeRoutes {

    /** How long readiness waits for the service to list its models before calling the node unready. */
    static final long READY_TIMEOUT_MS = 2000;

    private static final ContentType METRICS_TYPE = ContentTypes.parse(ShoalMetrics.contentType());

    private NodeRoutes() {
    }

    static Route create(InferenceService service, ShoalMetrics metrics) {
        return concat(
                path("health", () -> get(() -> complete(Json.ok(Json.object().put("status", "ok"))))),
                path("ready", () -> get(() -> completeWithFuture(ready(service)))),
                path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(
                        METRICS_TYPE, ByteString.fromString(metrics.scrape(service.loaded())))))),
                pathSingleSlash(() -> concat(
                        get(() -> complete("Shoal is running")),
                        head(() -> complete(HttpResponse.create())))));
    }

    // The service answers from memory; one that does not answer within the timeout is stuck, hence unready.
    private static CompletionStage<HttpResponse> ready(InferenceService service) {
        return CompletableFuture.supplyAsync(() -> service.models().size())
                .orTimeout(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .handle((models, failure) -> failure == null
                        ? Json.ok(Json.object().put("status", "ready").put("models", models))
                        : Json.response(StatusCodes.SERVICE_UNAVAILABLE,
                                Json.object().put("status", "unavailable")
                                        .put("error", "the inference service did not answer")));
    }
}
