package dev.shoal.http.common;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.http.GenerationObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Gathers a generation's text for a non-streaming answer. The future fails with an {@link ApiException} when
 * the service reports an error, before or after admission alike: nothing has been sent yet either way.
 */
public final class CollectingListener implements GenerationListener {

    private final GenerationObserver observer;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Collected> result = new CompletableFuture<>();

    private CollectingListener(GenerationObserver observer) {
        this.observer = observer;
    }

    public static CompletionStage<Collected> submit(InferenceService service, GenerationJob job,
                                                    GenerationObserver observer) {
        CollectingListener listener = new CollectingListener(observer);
        service.submit(job, listener);
        return listener.result;
    }

    @Override
    public void onStart(int promptTokens) {
    }

    @Override
    public void onText(String piece) {
        observer.onText();
        text.append(piece);
    }

    @Override
    public void onComplete(Completion completion) {
        observer.onComplete(completion);
        result.complete(new Collected(text.toString(), completion));
    }

    @Override
    public void onError(ServiceError error) {
        result.completeExceptionally(new ApiException(ApiError.of(error)));
    }
}
