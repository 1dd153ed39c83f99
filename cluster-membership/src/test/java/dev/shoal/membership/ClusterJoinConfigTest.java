package dev.shoal.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.membership.testkit.TestNodes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Pekko settings laid over a node's configuration before its actor system starts. */
class ClusterJoinConfigTest {

    private static Config overrides(String hocon) {
        Config config = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
        return ClusterJoin.pekkoConfig(TestNodes.settings(config).cluster(), config).withFallback(config);
    }

    @Test
    void rolesShouldAddShoalsToPekkosAndCarryAConfiguredName() {
        Config c = overrides("""
                pekko.cluster.roles = ["backend"]
                shoal.cluster { roles = ["gpu", "backend"], node-name = "box-1" }
                """);
        assertEquals(List.of("backend", "gpu", "node=box-1"), c.getStringList("pekko.cluster.roles"));
        assertEquals(List.of(), overrides("").getStringList("pekko.cluster.roles"), "a derived name needs no role");
    }

    @Test
    void bootstrapShouldTakeShoalsContactPointCountAndNotFilterOnTheFallbackPort() {
        Config c = overrides("shoal.cluster.bootstrap.required-contact-points = 3");
        assertEquals(3,
                c.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        assertFalse(c.getBoolean("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
    }

    @Test
    void theDiscoveryMethodShouldDefaultToConfigAndOtherwiseBeKept() {
        String key = "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method";
        assertEquals("config", overrides("").getString(key));
        assertEquals("pekko-dns", overrides("pekko.discovery.method = pekko-dns").getString(key));
        assertEquals("shoal-mdns", overrides(key + " = shoal-mdns").getString(key));
        assertEquals("dev.shoal.membership.mdns.MdnsServiceDiscovery",
                overrides("").getString("pekko.discovery.shoal-mdns.class"), "shoal-mdns is registered by name");
    }
}
