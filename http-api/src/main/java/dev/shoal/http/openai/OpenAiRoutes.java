package dev.shoal.http.openai;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.remaining;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.ShoalMetrics;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Ids;
import dev.shoal.http.common.Json;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.JsonRoutes;
import dev.shoal.http.common.SseFraming;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/models[/{id}]}. */
public final class OpenAiRoutes {

    private final InferenceService service;
    private final ShoalMetrics metrics;

    private OpenAiRoutes(InferenceService service, ShoalMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    public static Route create(InferenceService service, ShoalMetrics metrics) {
        return new OpenAiRoutes(service, metrics).route();
    }

    private Route route() {
        return pathPrefix("v1", () -> concat(
                path(segment("chat").slash("completions"),
                        () -> post(() -> JsonRoutes.jsonBody(OpenAiErrors.INSTANCE, this::chat))),
                path("completions", () -> post(() -> JsonRoutes.jsonBody(OpenAiErrors.INSTANCE, this::completion))),
                pathPrefix("models", () -> concat(
                        pathEndOrSingleSlash(() -> get(() -> complete(Json.ok(
                                OpenAiResponses.models(service.models()))))),
                        path(remaining(), id -> get(() -> complete(model(id))))))));
    }

    private CompletionStage<HttpResponse> chat(JsonFields body) {
        OpenAiRequests.ChatRequest r = OpenAiRequests.chat(body);
        var o = r.options();
        GenerationJob job = new GenerationJob(r.model(), new Prompt.Chat(r.messages()), o.sampling(), o.maxTokens(),
                o.stop(), null);
        String id = Ids.random("chatcmpl-");
        long created = Ids.epochSeconds();
        var observer = metrics.generation(Api.OPENAI, r.model());
        if (o.stream()) {
            return Generations.stream(service, job, observer, OpenAiErrors.INSTANCE, SseFraming.EVENT_STREAM,
                    promptTokens -> new OpenAiStream(OpenAiStream.Kind.CHAT, id, created, r.model(),
                            o.includeUsage()));
        }
        return Generations.collect(service, job, observer, OpenAiErrors.INSTANCE,
                c -> OpenAiResponses.chatCompletion(id, created, r.model(), c));
    }

    private CompletionStage<HttpResponse> completion(JsonFields body) {
        OpenAiRequests.CompletionRequest r = OpenAiRequests.completion(body);
        var o = r.options();
        // the legacy endpoint continues raw text: no chat template
        GenerationJob job = new GenerationJob(r.model(), new Prompt.Text(r.prompt(), false, null), o.sampling(),
                o.maxTokens(), o.stop(), null);
        String id = Ids.random("cmpl-");
        long created = Ids.epochSeconds();
        var observer = metrics.generation(Api.OPENAI, r.model());
        if (o.stream()) {
            return Generations.stream(service, job, observer, OpenAiErrors.INSTANCE, SseFraming.EVENT_STREAM,
                    promptTokens -> new OpenAiStream(OpenAiStream.Kind.TEXT, id, created, r.model(),
                            o.includeUsage()));
        }
        return Generations.collect(service, job, observer, OpenAiErrors.INSTANCE,
                c -> OpenAiResponses.textCompletion(id, created, r.model(), c));
    }

    private HttpResponse model(String id) {
        return service.find(id)
                .map(m -> Json.ok(OpenAiResponses.model(m)))
                .orElseGet(() -> OpenAiErrors.INSTANCE.response(new ApiError.ModelNotFound(id)));
    }
}
