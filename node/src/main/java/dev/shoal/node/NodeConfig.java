package dev.shoal.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Path;
import java.util.Map;

/**
 * The configuration a node starts from, highest precedence first: command-line overrides, {@code -D} system
 * properties, the {@code -c} file, {@code application.conf} on the classpath, the node's Pekko settings
 * ({@code shoal-node.conf}), and the libraries' {@code reference.conf} files (Shoal's keys are documented in the
 * config module's).
 */
public final class NodeConfig {

    /** The node's Pekko settings; a resource of this module only, so tests of other modules keep a local system. */
    static final String NODE_DEFAULTS = "shoal-node.conf";

    private NodeConfig() {
    }

    /**
     * @param file      the user's file, or null
     * @param overrides dotted keys to values (flags)
     * @throws com.typesafe.config.ConfigException when the file is missing or does not parse
     */
    public static Config load(Path file, Map<String, ?> overrides) {
        Config user = file == null ? ConfigFactory.empty()
                : ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        ClassLoader loader = NodeConfig.class.getClassLoader();
        return ConfigFactory.parseMap(overrides, "command-line flags")
                .withFallback(ConfigFactory.defaultOverrides(loader))
                .withFallback(user)
                .withFallback(ConfigFactory.defaultApplication(loader))
                .withFallback(ConfigFactory.parseResources(loader, NODE_DEFAULTS))
                .withFallback(ConfigFactory.defaultReference(loader))
                .resolve();
    }
}
