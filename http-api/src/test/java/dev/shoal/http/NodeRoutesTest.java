package dev.shoal.http;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class NodeRoutesTest {

    @Test
    void shouldAnswerHealthAndReadiness(ServerFixture s) {
        HttpResponse<String> health = s.http().get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", json(health).get("status").asText());
        HttpResponse<String> ready = s.http().get("/ready");
        assertEquals(200, ready.statusCode());
        assertEquals("ready", json(ready).get("status").asText());
        assertEquals(200, s.http().get("/").statusCode());
    }

    @Test
    void shouldAnswerUnknownPathsAndWrongMethodsWithJson(ServerFixture s) {
        HttpResponse<String> missing = s.http().get("/favicon.ico");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(json(missing).at("/error/message").asText().contains("/favicon.ico"));
        HttpResponse<String> wrong = s.http().method("POST", "/health", "{}");
        assertEquals(405, wrong.statusCode());
        assertEquals("GET", wrong.headers().firstValue("Allow").orElse(""));
        assertEquals("method_not_allowed", json(wrong).at("/error/code").asText());
    }

    @Test
    void shouldAnswerABodyOverTheLimitWith413(ServerFixture s) {
        String huge = "{\"model\":\"stories260K\",\"prompt\":\"" + "a".repeat(9 << 20) + "\"}";
        HttpResponse<String> r = s.http().post("/v1/completions", huge);
        assertEquals(413, r.statusCode(), r.body());
        assertEquals("request_too_large", json(r).at("/error/code").asText());
    }

    /**
     * A client that writes its whole over-long body before it reads anything still gets the 413: the server reads
     * the body to its end first. Answered early, the connection closed under the writer (a broken pipe here, and
     * the JDK client's "header parser received no bytes" above when the machine was loaded).
     */
    @Test
    void shouldReadAnOverLongBodyToItsEndBeforeAnswering413(ServerFixture s) throws IOException {
        byte[] body = new byte[24 << 20];
        java.util.Arrays.fill(body, (byte) 'a');
        try (Socket socket = new Socket(s.http().base().getHost(), s.http().base().getPort())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            String text = response.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("HTTP/1.1 413"), text);
            assertTrue(text.contains("request_too_large"), text);
        }
    }
}
