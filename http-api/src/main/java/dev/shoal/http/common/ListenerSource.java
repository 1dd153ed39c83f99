package dev.shoal.http.common;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.http.GenerationObserver;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Bridges one generation's listener callbacks into a Pekko Streams {@link Source} for a streaming response.
 *
 * <p>The response cannot be chosen until the service has either admitted the request ({@code onStart}) or
 * refused it ({@code onError} first): a refusal must still become a proper HTTP status. So admission completes
 * {@link #started()}, and only what follows it flows through {@link #events()}.
 *
 * <p>The engine thread must never block on a slow client, so events go into a bounded queue without
 * back-pressure. The bound is far above one generation's token count (a text event per token at most); a client
 * that lets it fill is not reading, and its generation is cancelled. Events that arrive before the HTTP layer
 * materializes the source wait in a small deque, under the same lock as the hand-over, so none is lost or
 * reordered.
 *
 * <p>When the response stream ends before the generation did (the client disconnected), the generation is
 * cancelled through its {@link GenerationHandle}, exactly once. A client that leaves while its request is still
 * queued is noticed only once the generation is admitted: Pekko then finds the connection gone and cancels the
 * response stream. (Pekko notices a closed connection about a second late, so that many tokens are wasted.)
 */
public final class ListenerSource implements GenerationListener {

    public static final int BUFFER = 1 << 16;

    private final GenerationObserver observer;
    private final CompletableFuture<Integer> started = new CompletableFuture<>();
    private final Object lock = new Object();
    private final ArrayDeque<GenerationEvent> early = new ArrayDeque<>();
    private BoundedSourceQueue<GenerationEvent> queue; // guarded by lock; null until materialized
    private boolean queueDone; // guarded by lock: the final event has been handed to the queue
    private boolean overflowed; // guarded by lock: the buffer filled before the stream was materialized
    private volatile boolean ended; // the service sent its last event
    private final AtomicReference<GenerationHandle> handle = new AtomicReference<>();
    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    private final AtomicBoolean cancelSent = new AtomicBoolean();

    private ListenerSource(GenerationObserver observer) {
        this.observer = observer;
    }

    /** Submits {@code job} with a new bridge as its listener. */
    public static ListenerSource submit(InferenceService service, GenerationJob job, GenerationObserver observer) {
        ListenerSource bridge = new ListenerSource(observer);
        GenerationHandle h = service.submit(job, bridge);
        bridge.handle.set(h);
        bridge.sendCancelIfRequested();
        return bridge;
    }

    /**
     * Completes with the prompt's token count once the generation is admitted, or exceptionally with an
     * {@link ApiException} when the service refused it.
     */
    public CompletionStage<Integer> started() {
        return started;
    }

    /** The events after admission; ends after {@link GenerationEvent.Done} or {@link GenerationEvent.Failed}. */
    public Source<GenerationEvent, NotUsed> events() {
        return Source.<GenerationEvent>queue(BUFFER)
                .mapMaterializedValue(q -> {
                    handOver(q);
                    return NotUsed.notUsed();
                })
                .watchTermination((notUsed, done) -> {
                    done.whenComplete((d, failure) -> {
                        if (!ended) {
                            cancel();
                        }
                    });
                    return notUsed;
                });
    }

    /** Cancels the generation if it is still running. */
    public void cancel() {
        cancelRequested.set(true);
        sendCancelIfRequested();
    }

    @Override
    public void onStart(int promptTokens) {
        started.complete(promptTokens);
    }

    @Override
    public void onText(String text) {
        observer.onText();
        push(new GenerationEvent.Text(text), false);
    }

    @Override
    public void onComplete(Completion completion) {
        ended = true;
        observer.onComplete(completion);
        started.complete(completion.promptTokens()); // a service that skipped onStart still gets a stream
        push(new GenerationEvent.Done(completion), true);
    }

    @Override
    public void onError(ServiceError error) {
        ended = true;
        if (started.completeExceptionally(new ApiException(ApiError.of(error)))) {
            return; // refused before admission: the caller answers with an error status, no stream is made
        }
        push(GenerationEvent.failed(error), true);
    }

    private void push(GenerationEvent event, boolean last) {
        synchronized (lock) {
            if (queueDone) {
                return;
            }
            if (queue != null) {
                offer(event, last);
                return;
            }
            if (early.size() >= BUFFER) {
                overflowed = true;
                queueDone = true;
                early.clear();
                cancel();
                return;
            }
            early.add(event);
        }
    }

    private void handOver(BoundedSourceQueue<GenerationEvent> q) {
        synchronized (lock) {
            queue = q;
            if (overflowed) {
                q.fail(new IllegalStateException("the client did not read the stream"));
                return;
            }
            for (GenerationEvent e = early.poll(); e != null && !queueDone; e = early.poll()) {
                offer(e, e instanceof GenerationEvent.Done || e instanceof GenerationEvent.Failed);
            }
        }
    }

    // Under lock.
    private void offer(GenerationEvent event, boolean last) {
        if (!queue.offer(event).isEnqueued()) {
            // full (client not reading) or closed (client gone): either way nobody will see the rest
            queueDone = true;
            queue.fail(new IllegalStateException("the client did not read the stream"));
            cancel();
            return;
        }
        if (last) {
            queueDone = true;
            queue.complete();
        }
    }

    private void sendCancelIfRequested() {
        GenerationHandle h = handle.get();
        if (h != null && cancelRequested.get() && !ended && cancelSent.compareAndSet(false, true)) {
            h.cancel();
        }
    }
}
