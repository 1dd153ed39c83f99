package dev.shoal.http.ollama;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.head;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.ShoalMetrics;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.JsonRoutes;
import dev.shoal.http.common.SseFraming;
import dev.shoal.tensor.sample.SamplingParams;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Ollama's {@code /api/generate}, {@code /api/chat}, {@code /api/tags}, {@code /api/show}, {@code /api/ps} and
 * {@code /api/version}.
 */
public final class OllamaRoutes {

    /**
     * The Ollama version reported to clients. Clients gate features on it (some refuse servers older than they
     * know), so it names the Ollama API level whose fields this server emits, not Shoal's own version.
     */
    public static final String COMPATIBLE_VERSION = "0.12.0";

    private final InferenceService service;
    private final ShoalMetrics metrics;

    private OllamaRoutes(InferenceService service, ShoalMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    public static Route create(InferenceService service, ShoalMetrics metrics) {
        return new OllamaRoutes(service, metrics).route();
    }

    private Route route() {
        return pathPrefix("api", () -> concat(
                path("generate", () -> post(() -> JsonRoutes.jsonBody(OllamaErrors.INSTANCE, this::generate))),
                path("chat", () -> post(() -> JsonRoutes.jsonBody(OllamaErrors.INSTANCE, this::chat))),
                path("show", () -> post(() -> JsonRoutes.jsonBody(OllamaErrors.INSTANCE, this::show))),
                path("tags", () -> getOrHead(() -> Json.ok(OllamaModels.tags(service.models())))),
                path("ps", () -> get(() -> complete(Json.ok(OllamaModels.ps(service.loaded()))))),
                path("version", () -> getOrHead(
                        () -> Json.ok(Json.object().put("version", COMPATIBLE_VERSION))))));
    }

    // Ollama's CLI probes with HEAD; Pekko's transparent HEAD handling is off by default.
    private static Route getOrHead(Supplier<HttpResponse> response) {
        return concat(get(() -> complete(response.get())), head(() -> complete(HttpResponse.create())));
    }

    private CompletionStage<HttpResponse> generate(JsonFields body) {
        OllamaRequests.GenerateRequest r = OllamaRequests.generate(body);
        if (r.loadOnly()) {
            return load(OllamaResponses.Kind.GENERATE, r.model(), r.keepAlive());
        }
        // raw mode feeds the prompt as is; otherwise it is one user turn of the model's chat template
        Prompt prompt = r.raw() ? new Prompt.Text(r.prompt(), false, null)
                : new Prompt.Text(r.prompt(), true, r.system());
        return run(OllamaResponses.Kind.GENERATE, r.model(), prompt, r.options(), r.stream(), r.keepAlive());
    }

    private CompletionStage<HttpResponse> chat(JsonFields body) {
        OllamaRequests.ChatRequest r = OllamaRequests.chat(body);
        if (r.loadOnly()) {
            return load(OllamaResponses.Kind.CHAT, r.model(), r.keepAlive());
        }
        return run(OllamaResponses.Kind.CHAT, r.model(), new Prompt.Chat(r.messages()), r.options(), r.stream(),
                r.keepAlive());
    }

    private CompletionStage<HttpResponse> run(OllamaResponses.Kind kind, String model, Prompt prompt,
                                              OllamaRequests.Options o, boolean stream, Duration keepAlive) {
        GenerationJob job = new GenerationJob(model, prompt, o.sampling(), o.maxTokens(), o.stop(), keepAlive);
        var observer = metrics.generation(Api.OLLAMA, model);
        if (stream) {
            return Generations.stream(service, job, observer, OllamaErrors.INSTANCE, SseFraming.NDJSON,
                    promptTokens -> new OllamaStream(kind, model));
        }
        return Generations.collect(service, job, observer, OllamaErrors.INSTANCE,
                c -> OllamaResponses.done(kind, model, c.text(), c.completion()));
    }

    /**
     * Loads the model by generating one token from an empty prompt (the service has no load-only call), and
     * passes {@code keepAlive} on, so {@code 0} unloads it right after, as Ollama does.
     */
    private CompletionStage<HttpResponse> load(OllamaResponses.Kind kind, String model, Duration keepAlive) {
        GenerationJob job = new GenerationJob(model, new Prompt.Text("", false, null), SamplingParams.greedy(), 1,
                List.of(), keepAlive);
        String reason = Duration.ZERO.equals(keepAlive) ? "unload" : "load";
        return Generations.collect(service, job, metrics.generation(Api.OLLAMA, model), OllamaErrors.INSTANCE,
                c -> OllamaResponses.loaded(kind, model, reason));
    }

    private CompletionStage<HttpResponse> show(JsonFields body) {
        String model = OllamaRequests.model(body);
        return JsonRoutes.now(service.find(model)
                .map(m -> Json.ok(OllamaModels.show(m)))
                .orElseGet(() -> OllamaErrors.INSTANCE.response(new ApiError.ModelNotFound(model))));
    }
}
