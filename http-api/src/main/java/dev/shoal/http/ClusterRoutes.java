package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.Ids;
import dev.shoal.http.common.Json;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as JSON: {@code GET /cluster/state} (members, their capabilities, the placed model instances) and
 * {@code GET /cluster/placement/preview?model=NAME[&mode=MODE]} (what placing a model would do, without loading
 * it), and the model-file bytes peers fetch slices from ({@link ModelFileRoutes}). Errors are the node's own endpoints' shape (OpenAI's {@code {"error":{...}}}); a cluster view that fails
 * or does not answer within {@link #TIMEOUT} is a 503, never a hang.
 */
public final class ClusterRoutes {

    /** How long a request waits for the cluster view before answering 503. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** The {@code mode} values the preview accepts; absent means {@code auto}. */
    public static final List<String> MODES = List.of("auto", "replicas", "pipeline", "tensor", "hybrid");

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRoutes.class);

    private ClusterRoutes() {
    }

    /** The two endpoints over {@code cluster}. */
    public static Route create(ClusterView cluster) {
        if (cluster == null) {
            throw new IllegalArgumentException("cluster view is null; use withoutView() for a node without one");
        }
        return concat(
                path(PathMatchers.segment("cluster").slash("state"), () -> get(() -> completeWithFuture(
                        ask("state", cluster::state, ClusterRoutes::stateResponse)))),
                path(PathMatchers.segment("cluster").slash("placement").slash("preview"), () -> get(() ->
                        parameterOptional("model", model -> parameterOptional("mode", mode ->
                                preview(cluster, model, mode))))),
                ModelFileRoutes.create(cluster.modelsDir()));
    }

    /** For a node that runs without a cluster view: every {@code /cluster} path answers 404 saying so. */
    public static Route withoutView() {
        return extractRequest(request -> {
            String p = request.getUri().path();
            return p.equals("/cluster") || p.startsWith("/cluster/")
                    ? error(new ApiError.NotFound("this node runs without a cluster view: " + p
                            + " is not available", null, "cluster_view_unavailable"))
                    : reject();
        });
    }

    private static Route preview(ClusterView cluster, Optional<String> model, Optional<String> mode) {
        String name = model.map(String::strip).orElse("");
        if (name.isEmpty()) {
            return error(ApiError.invalid("the query parameter 'model' is required: "
                    + "/cluster/placement/preview?model=NAME[&mode=" + String.join("|", MODES) + "]", "model"));
        }
        // no mode: the node's configured one (null), so the preview shows what a request would get
        String m = mode.map(s -> s.strip().toLowerCase(Locale.ROOT)).orElse(null);
        if (m != null && !MODES.contains(m)) {
            return error(ApiError.invalid("unknown mode '" + mode.orElse("") + "'; one of "
                    + String.join(", ", MODES), "mode"));
        }
        return completeWithFuture(ask("placement preview", () -> cluster.preview(name, m),
                p -> previewResponse(name, p)));
    }

    /**
     * Asks the view, and turns its answer into a response within {@link #TIMEOUT}. The answer is copied into a
     * future of our own before the timeout is set, so a timeout never completes a future the view may share.
     */
    private static <T> CompletionStage<HttpResponse> ask(String what, Supplier<CompletionStage<T>> call,
                                                         Function<T, HttpResponse> render) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        try {
            CompletionStage<T> stage = call.get();
            if (stage == null) {
                answer.completeExceptionally(new IllegalStateException("the cluster view returned no future"));
            } else {
                stage.whenComplete((value, failure) -> {
                    if (failure != null) {
                        answer.completeExceptionally(failure);
                    } else if (value == null) {
                        answer.completeExceptionally(new IllegalStateException("the cluster view answered null"));
                    } else {
                        answer.complete(value);
                    }
                });
            }
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
        return answer.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((value, failure) -> failure == null ? render.apply(value) : unavailable(what, failure));
    }

    private static HttpResponse unavailable(String what, Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String message;
        if (t instanceof TimeoutException) {
            LOG.warn("the cluster view did not answer the {} within {} ms", what, TIMEOUT.toMillis());
            message = "the cluster view did not answer within " + TIMEOUT.toSeconds() + " s";
        } else {
            LOG.warn("the cluster view failed to answer the {}", what, t);
            message = "the cluster view failed"
                    + (t.getMessage() == null || t.getMessage().isBlank() ? "" : ": " + t.getMessage());
        }
        return ErrorHandling.renderer(Api.NODE).response(new ApiError.ServiceUnavailable(message));
    }

    private static Route error(ApiError error) {
        return complete(ErrorHandling.renderer(Api.NODE).response(error));
    }

    static HttpResponse stateResponse(ClusterState state) {
        ObjectNode body = Json.object();
        body.put("self", state.self());
        body.put("leader", state.leader());
        ArrayNode members = body.putArray("members");
        for (ClusterState.Member m : state.members()) {
            ObjectNode o = members.addObject();
            o.put("node", m.node());
            o.put("address", m.address());
            o.put("status", m.status());
            o.put("reachable", m.reachable());
            ArrayNode roles = o.putArray("roles");
            m.roles().forEach(roles::add);
            ClusterState.Capabilities c = m.capabilities();
            if (c == null) {
                o.putNull("capabilities");
            } else {
                ObjectNode co = o.putObject("capabilities");
                co.put("memory_budget_bytes", c.memoryBudgetBytes());
                co.put("memory_budget", bytes(c.memoryBudgetBytes()));
                co.put("used_bytes", c.usedBytes());
                co.put("used", bytes(c.usedBytes()));
                co.put("cores", c.cores());
                ArrayNode files = co.putArray("model_files");
                c.modelFiles().forEach(files::add);
            }
        }
        ArrayNode instances = body.putArray("instances");
        for (ClusterState.Instance i : state.instances()) {
            ObjectNode o = instances.addObject();
            o.put("model", i.model());
            o.put("mode", i.mode());
            o.put("state", i.state());
            o.put("detail", i.detail());
            o.put("transport", i.transport());
            slices(o, i.slices());
        }
        ArrayNode links = body.putArray("links");
        for (ClusterState.Link l : state.links()) {
            ObjectNode o = links.addObject();
            o.put("a", l.a());
            o.put("b", l.b());
            o.put("round_trip_us", Math.round(l.roundTripMicros() * 10) / 10.0);
            o.put("bytes_per_second", Math.round(l.bytesPerSecond()));
            o.put("bandwidth", bytes(Math.round(l.bytesPerSecond())) + "/s");
            o.put("measured_at", Ids.rfc3339(java.time.Instant.ofEpochMilli(l.measuredAtMillis())));
        }
        return Json.ok(body);
    }

    static HttpResponse previewResponse(String requested, PlacementPreview preview) {
        String model = preview.model() == null ? requested : preview.model();
        return switch (preview) {
            case PlacementPreview.Plan p -> {
                ObjectNode body = Json.object();
                body.put("model", model);
                body.put("fits", true);
                body.put("mode", p.mode());
                slices(body, p.slices());
                body.put("description", p.description());
                long total = p.slices().stream().mapToLong(ClusterState.Slice::bytes).sum();
                body.put("total_bytes", total);
                body.put("total_memory", bytes(total));
                yield Json.ok(body);
            }
            case PlacementPreview.Rejected r -> {
                ObjectNode body = Json.object();
                body.put("model", model);
                body.put("fits", false);
                body.put("reason", r.reason());
                body.put("cause", r.cause());
                yield Json.ok(body);
            }
            case PlacementPreview.Unavailable u -> ErrorHandling.renderer(Api.NODE).response(new ApiError.NotFound(
                    u.reason() == null || u.reason().isBlank() ? "model '" + model + "' cannot be placed" : u.reason(),
                    "model", "placement_unavailable"));
        };
    }

    private static void slices(ObjectNode parent, List<ClusterState.Slice> slices) {
        ArrayNode array = parent.putArray("slices");
        for (ClusterState.Slice s : slices) {
            ObjectNode o = array.addObject();
            o.put("node", s.node());
            o.put("stage", s.stage());
            o.put("rank", s.rank());
            o.put("slice", s.slice());
            o.put("bytes", s.bytes());
            o.put("memory", bytes(s.bytes()));
            // where the slice's weights come from: the node's own file, or fetched from a node that has it
            o.put("weights", s.weightsFrom() == null ? "own file" : s.weightsFrom().isEmpty()
                    ? "to fetch, but no reachable node has the file" : "fetched from " + s.weightsFrom());
        }
    }

    /** A byte count for people: {@code 512 B}, {@code 1.5 MiB}, {@code 24.0 GiB} (binary units, one decimal). */
    static String bytes(long n) {
        if (n < 1024 && n > -1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (Math.abs(v) >= 1023.95 && u < units.length - 1); // 1023.96 KiB shows as 1.0 MiB, not 1024.0 KiB
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
