package dev.shoal.http;

import dev.shoal.actors.api.Completion;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/** Feeds one generation's first-token time and final counts into {@link ShoalMetrics}. */
public final class GenerationObserver {

    private final ShoalMetrics metrics;
    private final String api;
    private final String model;
    private final long startNanos;
    // listener calls may come from different engine threads over a generation's life
    private final AtomicBoolean sawText = new AtomicBoolean();

    GenerationObserver(ShoalMetrics metrics, String api, String model, long startNanos) {
        this.metrics = metrics;
        this.api = api;
        this.model = model;
        this.startNanos = startNanos;
    }

    public void onText() {
        if (sawText.compareAndSet(false, true)) {
            metrics.firstToken(api, System.nanoTime() - startNanos);
        }
    }

    public void onComplete(Completion c) {
        metrics.finished(api, model, c.promptTokens(), c.completionTokens(),
                c.stopReason().name().toLowerCase(Locale.ROOT), c.generationNanos());
    }
}
