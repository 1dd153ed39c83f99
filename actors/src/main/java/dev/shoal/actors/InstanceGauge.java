package dev.shoal.actors;

import dev.shoal.tensor.generate.BatchScheduler;
import java.time.Duration;
import java.time.Instant;

/**
 * Live figures of one loaded model for {@code loaded()} (Ollama /api/ps), readable from any thread without asking
 * an actor: the scheduler's own active and queued counts, and the expiry the instance sets as it goes idle or busy.
 * Only the instance writes; everyone else reads.
 */
final class InstanceGauge {

    /** How "never unloads" is shown: the last second of year 9999, which every JSON client can parse. */
    static final Instant NEVER = Instant.parse("9999-12-31T23:59:59Z");

    private volatile BatchScheduler scheduler;
    /** Requests handed to the scheduler and not ended: running plus queued (the instance's own count). */
    private volatile int admitted;
    private volatile Duration keepAlive = Duration.ZERO;
    /** When the last sequence ended, or null while sequences run. */
    private volatile Instant idleSince = Instant.now();

    void scheduler(BatchScheduler s) {
        scheduler = s;
    }

    void admitted(int n) {
        admitted = n;
    }

    void busy(Duration keepAlive) {
        this.keepAlive = keepAlive;
        idleSince = null;
    }

    void idle(Duration keepAlive, Instant since) {
        this.keepAlive = keepAlive;
        idleSince = since;
    }

    /**
     * Sequences in the running batch: admitted minus queued. (The scheduler's own active count is refreshed only
     * after each step, so it lags while a joining sequence's prompt is prefilled.)
     */
    int active() {
        return Math.max(0, admitted - queued());
    }

    int queued() {
        BatchScheduler s = scheduler;
        return s == null ? 0 : s.queued();
    }

    /** When the model unloads if no request comes: idle start (or now, while busy) plus keep-alive. */
    Instant expiresAt() {
        Duration k = keepAlive;
        if (k.isNegative() || k.compareTo(ModelInstance.LONGEST_TIMER) > 0) {
            return NEVER;
        }
        Instant since = idleSince;
        return (since == null ? Instant.now() : since).plus(k);
    }
}
