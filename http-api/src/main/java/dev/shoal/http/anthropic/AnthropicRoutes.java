package dev.shoal.http.anthropic;

import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.Prompt;
import dev.shoal.http.ShoalMetrics;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.Generations;
import dev.shoal.http.common.Ids;
import dev.shoal.http.common.JsonFields;
import dev.shoal.http.common.JsonRoutes;
import dev.shoal.http.common.SseFraming;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code POST /v1/messages}. */
public final class AnthropicRoutes {

    private final InferenceService service;
    private final ShoalMetrics metrics;

    private AnthropicRoutes(InferenceService service, ShoalMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    public static Route create(InferenceService service, ShoalMetrics metrics) {
        AnthropicRoutes routes = new AnthropicRoutes(service, metrics);
        return path(segment("v1").slash("messages"),
                () -> post(() -> JsonRoutes.jsonBody(AnthropicErrors.INSTANCE, routes::messages)));
    }

    private CompletionStage<HttpResponse> messages(JsonFields body) {
        AnthropicRequests.MessagesRequest r = AnthropicRequests.messages(body);
        GenerationJob job = new GenerationJob(r.model(), new Prompt.Chat(r.messages()), r.sampling(), r.maxTokens(),
                r.stopSequences(), null);
        String id = Ids.random("msg_");
        var observer = metrics.generation(Api.ANTHROPIC, r.model());
        if (r.stream()) {
            return Generations.stream(service, job, observer, AnthropicErrors.INSTANCE, SseFraming.EVENT_STREAM,
                    promptTokens -> new AnthropicStream(id, r.model(), promptTokens, r.stopSequences()));
        }
        return Generations.collect(service, job, observer, AnthropicErrors.INSTANCE,
                c -> AnthropicResponses.message(id, r.model(), c, r.stopSequences()));
    }
}
