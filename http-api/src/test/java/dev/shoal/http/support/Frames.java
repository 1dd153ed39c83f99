package dev.shoal.http.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Splits stream bodies into their frames, after checking the framing byte for byte. */
public final class Frames {

    private static final Pattern SSE_DATA = Pattern.compile("(data: [^\\n]+\\n\\n)+");
    private static final Pattern SSE_EVENTS = Pattern.compile("(event: [a-z_]+\\ndata: [^\\n]+\\n\\n)+");
    private static final Pattern NDJSON = Pattern.compile("(\\{[^\\n]*\\}\\n)+");

    private Frames() {
    }

    /** One SSE event: its name (null without an event line) and its data. */
    public record Event(String name, String data) {
        public JsonNode json() {
            return Client.json(data);
        }
    }

    /** OpenAI: only {@code data:} frames. */
    public static List<String> sseData(String body) {
        assertTrue(SSE_DATA.matcher(body).matches(), () -> "not a stream of data: frames:\n" + body);
        List<String> out = new ArrayList<>();
        for (String frame : body.split("\n\n")) {
            out.add(frame.substring("data: ".length()));
        }
        return out;
    }

    /** Anthropic: every frame is an event line and a data line. */
    public static List<Event> sseEvents(String body) {
        assertTrue(SSE_EVENTS.matcher(body).matches(), () -> "not a stream of event/data frames:\n" + body);
        List<Event> out = new ArrayList<>();
        for (String frame : body.split("\n\n")) {
            String[] lines = frame.split("\n");
            out.add(new Event(lines[0].substring("event: ".length()), lines[1].substring("data: ".length())));
        }
        return out;
    }

    public static List<JsonNode> ndjson(String body) {
        assertTrue(NDJSON.matcher(body).matches(), () -> "not NDJSON:\n" + body);
        List<JsonNode> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            out.add(Client.json(line));
        }
        return out;
    }
}
