package dev.shoal.http.ollama;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.http.common.Ids;
import dev.shoal.http.common.Json;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Ollama's model listings: {@code /api/tags}, {@code /api/show}, {@code /api/ps}. */
public final class OllamaModels {

    private OllamaModels() {
    }

    /** Ollama names always carry a tag; a file name has none, so it is {@code :latest}. */
    public static String tagged(String name) {
        return name.contains(":") ? name : name + ":latest";
    }

    public static ObjectNode tags(List<ModelEntry> models) {
        ArrayNode list = Json.array();
        for (ModelEntry m : models) {
            ObjectNode o = Json.object();
            o.put("name", tagged(m.name()));
            o.put("model", tagged(m.name()));
            o.put("modified_at", Ids.rfc3339(m.modified()));
            o.put("size", m.sizeBytes());
            o.put("digest", m.digest());
            o.set("details", details(m));
            list.add(o);
        }
        return Json.object().set("models", list);
    }

    public static ObjectNode ps(List<LoadedModel> loaded) {
        ArrayNode list = Json.array();
        for (LoadedModel l : loaded) {
            ModelEntry m = l.model();
            ObjectNode o = Json.object();
            o.put("name", tagged(m.name()));
            o.put("model", tagged(m.name()));
            o.put("size", l.residentBytes());
            o.put("digest", m.digest());
            o.set("details", details(m));
            o.put("expires_at", l.expiresAt() == null ? null : Ids.rfc3339(l.expiresAt()));
            o.put("size_vram", 0); // CPU inference: nothing lives in GPU memory
            o.put("context_length", m.contextLength());
            list.add(o);
        }
        return Json.object().set("models", list);
    }

    public static ObjectNode show(ModelEntry m) {
        ObjectNode info = Json.object();
        info.put("general.architecture", m.architecture());
        info.put("general.parameter_count", m.parameterCount());
        info.put(m.architecture() + ".context_length", m.contextLength());
        Map<String, Object> details = m.details() == null ? Map.of() : m.details();
        for (Map.Entry<String, Object> e : details.entrySet()) {
            if (!info.has(e.getKey())) {
                info.set(e.getKey(), Json.valueOf(e.getValue()));
            }
        }
        ObjectNode o = Json.object();
        o.put("modelfile", "# served by Shoal\nFROM " + m.path() + "\n");
        o.put("parameters", "");
        o.put("template", template(details));
        o.set("details", details(m));
        o.set("model_info", info);
        o.set("capabilities", Json.array().add("completion"));
        o.put("modified_at", Ids.rfc3339(m.modified()));
        return o;
    }

    private static String template(Map<String, Object> details) {
        for (String key : List.of("tokenizer.chat_template", "chat_template")) {
            if (details.get(key) instanceof String s) {
                return s;
            }
        }
        return "";
    }

    static ObjectNode details(ModelEntry m) {
        ObjectNode d = Json.object();
        d.put("parent_model", "");
        d.put("format", "gguf");
        d.put("family", m.architecture());
        d.set("families", Json.array().add(m.architecture()));
        d.put("parameter_size", parameterSize(m.parameterCount()));
        d.put("quantization_level", m.quantization());
        return d;
    }

    /** Ollama's short form: "8.0B", "494.03M", "260K". */
    static String parameterSize(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.0fK", n / 1e3);
        }
        return Long.toString(n);
    }
}
