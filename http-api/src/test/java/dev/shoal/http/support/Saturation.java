package dev.shoal.http.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Fills the test engine: its worker holds one request (paused) and its queue holds as many as it takes, so
 * the next request is refused as overloaded. {@link #release} lets them all finish.
 */
public final class Saturation {

    private final ServerFixture server;
    private final List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();

    private Saturation(ServerFixture server) {
        this.server = server;
    }

    /** {@code body} should generate little, since every held request runs once released. */
    public static Saturation fill(ServerFixture s, String path, String body) {
        Saturation sat = new Saturation(s);
        s.service.pause();
        sat.held.add(s.http().postAsync(path, body));
        Await.until(() -> s.service.active() == 1, () -> "the worker to take the first request");
        for (int i = 0; i < ServerFixture.QUEUE_CAPACITY; i++) {
            sat.held.add(s.http().postAsync(path, body));
        }
        Await.until(() -> s.service.queued() == ServerFixture.QUEUE_CAPACITY, () -> "the queue to fill");
        return sat;
    }

    /** Resumes the worker; every held request must then succeed. */
    public void release() {
        server.service.resume();
        for (CompletableFuture<HttpResponse<String>> f : held) {
            assertEquals(200, f.join().statusCode());
        }
        Await.until(() -> server.service.active() == 0 && server.service.queued() == 0, () -> "the engine to idle");
    }
}
