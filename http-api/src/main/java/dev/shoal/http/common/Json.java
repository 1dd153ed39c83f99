package dev.shoal.http.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The one Jackson mapper of the HTTP layer, and JSON responses. Bodies are built as trees to fix field order. */
public final class Json {

    // Trailing tokens ("{}{}" or "{} x") are a malformed body, not a valid object followed by noise.
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serializes; this would be a bug in how the tree was built.
            throw new UncheckedIOException(e);
        }
    }

    /** An arbitrary value (model metadata) as a tree node; what Jackson cannot map becomes its string form. */
    public static JsonNode valueOf(Object value) {
        try {
            return MAPPER.valueToTree(value);
        } catch (IllegalArgumentException e) {
            return MAPPER.getNodeFactory().textNode(String.valueOf(value));
        }
    }

    public static HttpResponse ok(JsonNode body) {
        return response(StatusCodes.OK, body);
    }

    public static HttpResponse response(StatusCode status, JsonNode body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, write(body));
    }
}
