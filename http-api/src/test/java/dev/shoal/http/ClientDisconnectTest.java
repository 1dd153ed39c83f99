package dev.shoal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.http.support.Await;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A client that goes away mid-stream must not leave its generation running. */
@ExtendWith(ServerExtension.class)
class ClientDisconnectTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/v1/completions | {\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":1000,"
                    + "\"stream\":true}",
            "/v1/chat/completions | {\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Once upon a time\"}],\"stream\":true}",
            "/v1/messages | {\"model\":\"stories260K\",\"max_tokens\":1000,\"stream\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}",
            "/api/generate | {\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"raw\":true}",
    })
    void shouldCancelTheGenerationWhenTheClientDisconnects(String path, String body, ServerFixture s)
            throws IOException {
        // Tokens slow enough that even the chat case (no max_tokens; the model may end on its own after a few dozen
        // tokens) is still generating when the server notices the disconnect, about a second later.
        s.service.slowDown(100);
        int cancelsBefore = s.service.cancels();
        int jobsBefore = s.service.jobs().size();

        HttpResponse<InputStream> r = s.http().postStreaming(path.trim(), body.trim());
        assertEquals(200, r.statusCode());
        InputStream in = r.body();
        int newlines = 0;
        while (newlines < 6) {
            int b = in.read();
            assertTrue(b >= 0, "the stream ended before the client could leave");
            newlines += b == '\n' ? 1 : 0;
        }
        in.close();

        Await.until(() -> s.service.cancels() == cancelsBefore + 1, () -> "the generation to be cancelled");
        Await.until(() -> s.service.active() == 0, () -> "the engine to stop generating");
        assertEquals(jobsBefore + 1, s.service.jobs().size());
    }

    @Test
    void shouldCancelAQueuedGenerationWhoseClientLeftOnceItStarts(ServerFixture s) throws Exception {
        s.service.slowDown(25);
        s.service.pause();
        int cancelsBefore = s.service.cancels();
        String body = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":1000,"
                + "\"stream\":true}";
        try (Socket socket = new Socket("127.0.0.1", s.base.getPort())) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: test\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            Await.until(() -> s.service.active() == 1, () -> "the worker to take the request");
        }
        s.service.resume();

        Await.until(() -> s.service.cancels() == cancelsBefore + 1, () -> "the generation to be cancelled");
        Await.until(() -> s.service.active() == 0, () -> "the engine to stop generating");
    }
}
