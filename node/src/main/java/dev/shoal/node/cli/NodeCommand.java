package dev.shoal.node.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.shoal.config.NodeSettings;
import dev.shoal.config.SettingsException;
import dev.shoal.node.NodeConfig;
import dev.shoal.node.NodeStartException;
import dev.shoal.node.ShoalNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code shoal node}: runs a node until SIGTERM. Flags override the matching {@code shoal.*} keys of the
 * configuration; every setting is checked before anything starts, and a bad one is one line on stderr (exit 2).
 * When the node is ready, one line on stdout gives its URL and models directory.
 */
final class NodeCommand {

    static final String USAGE = "shoal node [-c|--config FILE] [--models-dir DIR] [--http-host HOST] [--http-port PORT]";

    private NodeCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Flags f = Flags.parse(shortFlags(args), USAGE, Set.of("config", "models-dir", "http-host", "http-port"),
                Set.of());
        Path file = null;
        if (f.has("config")) {
            file = Path.of(f.string("config"));
            if (!Files.isRegularFile(file)) {
                throw f.error("-c " + file + ": no such file");
            }
        }
        Map<String, Object> overrides = new HashMap<>();
        if (f.has("models-dir")) {
            overrides.put("shoal.models.dir", f.string("models-dir"));
        }
        if (f.has("http-host")) {
            overrides.put("shoal.http.host", f.string("http-host"));
        }
        if (f.has("http-port")) {
            overrides.put("shoal.http.port", f.integer("http-port", 0, 0, 65535));
        }
        Config config;
        NodeSettings settings;
        try {
            config = NodeConfig.load(file, overrides);
            settings = NodeSettings.fromConfig(config);
        } catch (ConfigException e) {
            throw new UsageException(oneLine(e.getMessage()));
        } catch (SettingsException e) {
            throw new UsageException(e.getMessage());
        }
        ShoalNode node;
        try {
            node = ShoalNode.start(config, settings);
        } catch (NodeStartException e) {
            err.println("shoal node: " + e.getMessage());
            return 1;
        }
        out.println(node.readyLine());
        out.flush();
        node.whenTerminated().toCompletableFuture().join();
        return 0;
    }

    /** {@code -c FILE} is {@code --config FILE}. */
    private static String[] shortFlags(String[] args) {
        List<String> out = new ArrayList<>(args.length);
        for (String a : args) {
            out.add(a.equals("-c") ? "--config" : a);
        }
        return out.toArray(String[]::new);
    }

    private static String oneLine(String s) {
        return s == null ? "invalid configuration" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
