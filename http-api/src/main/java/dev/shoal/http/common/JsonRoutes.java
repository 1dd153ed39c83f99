package dev.shoal.http.common;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.withoutRequestTimeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** The shape shared by every JSON-bodied endpoint: read the body whatever its content type, parse, answer. */
public final class JsonRoutes {

    private JsonRoutes() {
    }

    /**
     * Parses the body as a JSON object and hands it to {@code handler}; a parse or validation failure is answered
     * in {@code errors}' shape. Generations take as long as they take, so Pekko's request timeout (meant for
     * quick requests) is off here.
     */
    public static Route jsonBody(ErrorRenderer errors, Function<JsonFields, CompletionStage<HttpResponse>> handler) {
        return withoutRequestTimeout(() -> entity(Unmarshaller.entityToString(), body -> {
            CompletionStage<HttpResponse> response;
            try {
                response = handler.apply(JsonFields.parse(body));
            } catch (ApiException e) {
                response = CompletableFuture.completedFuture(errors.response(e.error()));
            }
            return completeWithFuture(response);
        }));
    }

    public static CompletionStage<HttpResponse> now(HttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
