package dev.shoal.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every {@code shoal.*} setting of a node, parsed and checked once at start-up; the rest of the code takes these
 * records and never reads {@link Config} itself. Keys, units, ranges and defaults are documented in
 * {@code reference.conf}.
 */
public record NodeSettings(HttpSettings http, ModelSettings models, EngineSettings engine, MemorySettings memory,
                           ClusterSettings cluster, JmxSettings jmx, PlacementSettings placement) {

    /** The smallest memory budget accepted: below this not even the tiniest model's KV cache fits. */
    public static final long MIN_BUDGET_BYTES = 1L << 20;

    /**
     * A node name: it becomes a Pekko role, a JMX key property and an mDNS instance label (at most 63 bytes), so it
     * keeps to characters all three take as they are.
     */
    private static final java.util.regex.Pattern NODE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,63}");
    private static final String NODE_NAME_ALLOWED =
            "empty (derived from the Pekko host:port) or 1 to 63 letters, digits, '.', '-', '_' or ':'";
    /** Role prefixes that are not the user's: Pekko's data-center role and the role Shoal carries the name in. */
    private static final List<String> RESERVED_ROLE_PREFIXES = List.of("dc-", "node=");

    /**
     * Reads {@code shoal.*} from {@code config} (a whole application config; keys it lacks come from
     * {@code reference.conf}), deriving the {@code auto} values from this machine.
     *
     * @throws SettingsException naming the first bad key, its value and what is allowed
     */
    public static NodeSettings fromConfig(Config config) {
        return fromConfig(config, Machine.current());
    }

    public static NodeSettings fromConfig(Config config, Machine machine) {
        Config c;
        try {
            c = config.withFallback(ConfigFactory.defaultReference(NodeSettings.class.getClassLoader())).resolve();
        } catch (ConfigException e) {
            throw new SettingsException(oneLine(e.getMessage()), e);
        }
        ConfigReader r = new ConfigReader(c);

        HttpSettings http = new HttpSettings(
                r.string("shoal.http.host", "a host name or IP address"),
                r.integer("shoal.http.port", 0, 65535),
                r.duration("shoal.http.shutdown-deadline", Duration.ZERO, Duration.ofHours(1)));

        ModelSettings models = new ModelSettings(
                modelsDir(r),
                r.stringList("shoal.models.preload", "a list of model names, e.g. [\"llama3.2\", \"qwen3:0.6b\"]"),
                r.durationOrForever("shoal.models.keep-alive", ModelSettings.FOREVER),
                r.integer("shoal.models.max-loaded", 1, 1024),
                r.duration("shoal.models.load-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                r.bool("shoal.models.keep-fetched"));

        EngineSettings engine = new EngineSettings(
                r.integerOrAuto("shoal.engine.threads", 1, 1024, Math.min(1024, machine.processors())),
                r.integer("shoal.engine.context-length", 16, 1 << 20),
                r.integer("shoal.engine.max-batch", 1, 256),
                r.integer("shoal.engine.max-queue", 0, 1_000_000));

        return new NodeSettings(http, models, engine, memory(r, machine), cluster(r), jmx(r), placement(r));
    }

    private static ClusterSettings cluster(ConfigReader r) {
        String name = r.stringOrEmpty("shoal.cluster.node-name", NODE_NAME_ALLOWED);
        if (!name.isEmpty() && !NODE_NAME.matcher(name).matches()) {
            throw r.invalid("shoal.cluster.node-name", NODE_NAME_ALLOWED);
        }
        String rolesAllowed =
                "a list of role names, none starting with \"dc-\" or \"node=\" (e.g. [\"gpu\", \"big-memory\"])";
        List<String> roles = r.stringList("shoal.cluster.roles", rolesAllowed);
        if (roles.stream().anyMatch(role -> RESERVED_ROLE_PREFIXES.stream().anyMatch(role::startsWith))) {
            throw r.invalid("shoal.cluster.roles", rolesAllowed);
        }
        BootstrapSettings bootstrap = new BootstrapSettings(
                r.bool("shoal.cluster.bootstrap.enabled"),
                r.integer("shoal.cluster.bootstrap.required-contact-points", 1, 1000));
        return new ClusterSettings(name, roles, bootstrap,
                r.string("shoal.cluster.data-host", "a host name or IP address"),
                r.integer("shoal.cluster.data-port", 0, 65535),
                r.duration("shoal.cluster.peer-timeout", Duration.ofMillis(1), Duration.ofHours(1)),
                idle(r), r.stringOrEmpty("shoal.cluster.aeron-dir", "a directory path, or \"\" for the node's own driver"));
    }

    private static final String MODES = "one of auto, replicas, pipeline, tensor, hybrid";

    private static PlacementSettings placement(ConfigReader r) {
        PlacementSettings.ModelPlacement defaults = modelPlacement(r, "shoal.placement.mode",
                "shoal.placement.max-nodes");
        java.util.Map<String, PlacementSettings.ModelPlacement> models = new java.util.LinkedHashMap<>();
        for (String model : r.keys("shoal.placement.models",
                "an object of model names, e.g. { \"llama3.1:70b\" { mode = pipeline, max-nodes = 3 } }")) {
            String base = com.typesafe.config.ConfigUtil.joinPath("shoal", "placement", "models", model);
            PlacementSettings.ModelPlacement own = new PlacementSettings.ModelPlacement(
                    r.has(base + ".mode") ? mode(r, base + ".mode") : defaults.mode(),
                    r.has(base + ".max-nodes") ? r.integer(base + ".max-nodes", 0, 64) : defaults.maxNodes(),
                    pins(r, base + ".pins"));
            models.put(model, own);
        }
        return new PlacementSettings(defaults, models,
                r.duration("shoal.placement.load-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                r.duration("shoal.placement.settle-timeout", Duration.ofMillis(100), Duration.ofHours(1)),
                r.duration("shoal.placement.fast-link.max-round-trip", Duration.ofNanos(1000), Duration.ofSeconds(10)),
                r.bytes("shoal.placement.fast-link.min-bandwidth", 1,
                        "a throughput in bytes per second, e.g. \"1 GB\" or \"200 MB\""),
                r.durationOrOff("shoal.placement.link-reprobe-interval", Duration.ofSeconds(10), Duration.ofDays(7)),
                r.bool("shoal.placement.fetch-slices"));
    }

    private static List<PlacementSettings.PinSettings> pins(ConfigReader r, String path) {
        String allowed = "a list of pins such as [{ node = \"a\", layers = \"0-8\" }, { node = \"b\", layers = \"8-16\" }]"
                + " (keys node, layers, kv-heads, ffn, vocab; ranges half-open, omitted = all)";
        List<PlacementSettings.PinSettings> pins = new java.util.ArrayList<>();
        List<Config> items = r.objects(path, allowed);
        for (int i = 0; i < items.size(); i++) {
            Config pin = items.get(i);
            String at = path + "[" + i + "]";
            if (!pin.hasPath("node") || pin.getValue("node").valueType() != com.typesafe.config.ConfigValueType.STRING
                    || pin.getString("node").isBlank()) {
                throw new SettingsException(at + ".node: must be a node name (" + allowed + ")");
            }
            for (String key : pin.root().keySet()) {
                if (!List.of("node", "layers", "kv-heads", "ffn", "vocab").contains(key)) {
                    throw new SettingsException(at + "." + key + ": unknown key; " + allowed);
                }
            }
            pins.add(new PlacementSettings.PinSettings(pin.getString("node").strip(),
                    r.range(pin, "layers", at + ".layers"), r.range(pin, "kv-heads", at + ".kv-heads"),
                    r.range(pin, "ffn", at + ".ffn"), r.range(pin, "vocab", at + ".vocab")));
        }
        return pins;
    }

    private static PlacementSettings.ModelPlacement modelPlacement(ConfigReader r, String mode, String maxNodes) {
        return new PlacementSettings.ModelPlacement(mode(r, mode), r.integer(maxNodes, 0, 64));
    }

    private static String mode(ConfigReader r, String path) {
        String m = r.string(path, MODES).toLowerCase(java.util.Locale.ROOT);
        if (!PlacementSettings.MODES.contains(m)) {
            throw r.invalid(path, MODES);
        }
        return m;
    }

    private static String idle(ConfigReader r) {
        String allowed = "adaptive, backoff or yielding";
        String idle = r.string("shoal.cluster.idle", allowed).toLowerCase(java.util.Locale.ROOT);
        if (!idle.equals("backoff") && !idle.equals("yielding") && !idle.equals("adaptive")) {
            throw r.invalid("shoal.cluster.idle", allowed);
        }
        return idle;
    }

    private static JmxSettings jmx(ConfigReader r) {
        return new JmxSettings(
                r.bool("shoal.jmx.remote.enabled"),
                r.string("shoal.jmx.remote.host", "a host name or IP address"),
                r.integer("shoal.jmx.remote.port", 1, 65535));
    }

    private static Path modelsDir(ConfigReader r) {
        String raw = r.string("shoal.models.dir", "a directory path");
        String expanded = raw;
        if (raw.equals("~") || raw.startsWith("~/") || raw.startsWith("~" + java.io.File.separator)) {
            expanded = System.getProperty("user.home") + raw.substring(1);
        }
        try {
            return Path.of(expanded).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw r.invalid("shoal.models.dir", "a directory path (" + e.getReason() + ")");
        }
    }

    private static MemorySettings memory(ConfigReader r, Machine machine) {
        var bytes = r.bytesOrAuto("shoal.memory.budget", MIN_BUDGET_BYTES);
        if (bytes.isPresent()) {
            return new MemorySettings(bytes.getAsLong(), false);
        }
        long auto = MemorySettings.autoBudget(machine);
        if (auto < MIN_BUDGET_BYTES) {
            throw new SettingsException(String.format(
                    "shoal.memory.budget = auto: 80%% of %.1f GiB RAM minus the JVM's %.1f GiB maximum heap leaves "
                            + "nothing for models; set a size such as \"4 GiB\" or lower -Xmx",
                    gib(machine.physicalMemoryBytes()), gib(machine.maxHeapBytes())));
        }
        return new MemorySettings(auto, true);
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }

    private static String oneLine(String s) {
        return s == null ? "invalid configuration" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Names the settings that are easy to get wrong, for a start-up log line. */
    public List<String> summary() {
        return List.of(
                "http " + http.host() + ":" + http.port(),
                "models " + models.dir(),
                "keep-alive " + (models.keepsForever() ? "forever" : ConfigReader.human(models.keepAlive())),
                "threads " + engine.threads() + ", context " + engine.contextLength() + ", batch "
                        + engine.maxBatch() + ", queue " + engine.maxQueue(),
                String.format("memory budget %.1f GiB%s", gib(memory.budgetBytes()), memory.auto() ? " (auto)" : ""),
                "cluster node " + (cluster.derivesNodeName() ? "(host:port)" : cluster.nodeName())
                        + (cluster.roles().isEmpty() ? "" : ", roles " + cluster.roles())
                        + (cluster.bootstrap().enabled() ? ", bootstrap" : "")
                        + ", data " + cluster.dataHost() + ":"
                        + (cluster.dataPort() == 0 ? "auto" : cluster.dataPort()),
                "jmx remote " + (jmx.remoteEnabled() ? jmx.remoteHost() + ":" + jmx.remotePort() : "off"));
    }
}
