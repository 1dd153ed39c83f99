package dev.shoal.http.common;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.util.ByteString;

/**
 * The byte framing of the three streaming formats: SSE {@code data:} frames (OpenAI), SSE frames with an
 * {@code event:} line (Anthropic), and newline-delimited JSON (Ollama). JSON written by Jackson never contains
 * a raw newline, so one {@code data:} line always holds a whole object.
 */
public final class SseFraming {

    public static final ContentType EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM.toContentType();
    public static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");
    /** OpenAI's end-of-stream sentinel; it is not JSON. */
    public static final ByteString DONE = ByteString.fromString("data: [DONE]\n\n");

    private SseFraming() {
    }

    public static ByteString data(String json) {
        return ByteString.fromString("data: " + json + "\n\n");
    }

    public static ByteString event(String name, String json) {
        return ByteString.fromString("event: " + name + "\ndata: " + json + "\n\n");
    }

    public static ByteString line(String json) {
        return ByteString.fromString(json + "\n");
    }
}
