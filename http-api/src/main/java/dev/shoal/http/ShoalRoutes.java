package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.http.anthropic.AnthropicRoutes;
import dev.shoal.http.common.Api;
import dev.shoal.http.ollama.OllamaRoutes;
import dev.shoal.http.openai.OpenAiRoutes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/** Every route of a node, with JSON error handling and per-request metrics around them. */
public final class ShoalRoutes {

    private ShoalRoutes() {
    }

    /** A node without a cluster view: {@code /cluster/*} answers 404 saying so. */
    public static Route create(InferenceService service, ShoalMetrics metrics) {
        return create(service, null, metrics);
    }

    /** @param cluster what {@code /cluster/state} and {@code /cluster/placement/preview} show; null for none */
    public static Route create(InferenceService service, ClusterView cluster, ShoalMetrics metrics) {
        // Anthropic before OpenAI: both live under /v1
        Route all = concat(
                AnthropicRoutes.create(service, metrics),
                OpenAiRoutes.create(service, metrics),
                OllamaRoutes.create(service, metrics),
                cluster == null ? ClusterRoutes.withoutView() : ClusterRoutes.create(cluster),
                NodeRoutes.create(service, metrics));
        ExceptionHandler exceptions = ErrorHandling.exceptions();
        RejectionHandler rejections = ErrorHandling.rejections();
        return extractRequest(request -> {
            String path = request.getUri().path();
            return mapResponse(response -> {
                metrics.request(Api.of(path), Api.endpoint(path), response.status().intValue());
                return response;
            }, () -> handleExceptions(exceptions, () -> handleRejections(rejections,
                    () -> ErrorHandling.drainingOversized(() -> all))));
        });
    }
}
