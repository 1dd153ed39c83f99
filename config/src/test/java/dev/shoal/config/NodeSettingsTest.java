package dev.shoal.config;

import static org.junit.jupiter.api.Assertions.assertNull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeSettingsTest {

    private static final long GIB = 1L << 30;
    /** 16 GiB of RAM, a 2 GiB heap, 6 processors: auto budget = 12.8 - 2 GiB. */
    private static final Machine MACHINE = new Machine(16 * GIB, 2 * GIB, 6);

    private static NodeSettings parse(String hocon) {
        return NodeSettings.fromConfig(ConfigFactory.parseString(hocon), MACHINE);
    }

    private static String failure(String hocon) {
        SettingsException e = assertThrows(SettingsException.class, () -> parse(hocon));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void anEmptyConfigShouldGiveTheDocumentedDefaults() {
        NodeSettings s = parse("");
        assertEquals(new HttpSettings("127.0.0.1", 52415, Duration.ofSeconds(10)), s.http());
        assertEquals(Path.of(System.getProperty("user.home"), ".shoal", "models").toAbsolutePath(), s.models().dir());
        assertEquals(List.of(), s.models().preload());
        assertEquals(Duration.ofMinutes(5), s.models().keepAlive());
        assertEquals(3, s.models().maxLoaded());
        assertEquals(Duration.ofMinutes(5), s.models().loadTimeout());
        assertEquals(new EngineSettings(6, 4096, 8, 64), s.engine());
        assertTrue(s.memory().auto());
        assertEquals((long) (16 * GIB * 0.8) - 2 * GIB, s.memory().budgetBytes());
        assertEquals(new ClusterSettings("", List.of(), new BootstrapSettings(false, 2), "127.0.0.1", 0,
                Duration.ofSeconds(10), "adaptive", ""), s.cluster());
        assertTrue(s.cluster().derivesNodeName());
        assertEquals(new JmxSettings(false, "127.0.0.1", 9010), s.jmx());
    }

    @Test
    void everyKeyShouldBeReadFromTheConfig() {
        NodeSettings s = parse("""
                shoal {
                  http { host = "0.0.0.0", port = 8080, shutdown-deadline = 2 s }
                  models { dir = "/srv/models", preload = ["a", "b:q4"], keep-alive = 30 s, max-loaded = 2,
                           load-timeout = 1 m, keep-fetched = off }
                  engine { threads = 3, context-length = 2048, max-batch = 4, max-queue = 0 }
                  memory { budget = 12 GiB }
                  cluster { node-name = "gpu-box.lan", roles = ["gpu", "big"],
                            bootstrap { enabled = on, required-contact-points = 3 },
                            data-host = "10.0.0.5", data-port = 40123, peer-timeout = 2500 ms, idle = Yielding,
                            aeron-dir = "/dev/shm/shoal-host" }
                  jmx.remote { enabled = yes, host = "0.0.0.0", port = 9999 }
                }
                """);
        assertEquals(new HttpSettings("0.0.0.0", 8080, Duration.ofSeconds(2)), s.http());
        assertEquals(new ModelSettings(Path.of("/srv/models"), List.of("a", "b:q4"), Duration.ofSeconds(30), 2,
                Duration.ofMinutes(1), false), s.models());
        assertEquals(new EngineSettings(3, 2048, 4, 0), s.engine());
        assertEquals(new MemorySettings(12 * GIB, false), s.memory());
        assertEquals(new ClusterSettings("gpu-box.lan", List.of("gpu", "big"), new BootstrapSettings(true, 3),
                "10.0.0.5", 40123, Duration.ofMillis(2500), "yielding", "/dev/shm/shoal-host"), s.cluster());
        assertFalse(s.cluster().derivesNodeName());
        assertEquals(new JmxSettings(true, "0.0.0.0", 9999), s.jmx());
    }

    @Test
    void theJmxServiceUrlShouldUseOnePortForRegistryAndServer() {
        assertEquals("service:jmx:rmi://127.0.0.1:9010/jndi/rmi://127.0.0.1:9010/jmxrmi",
                new JmxSettings(true, "127.0.0.1", 9010).serviceUrl());
        assertEquals("service:jmx:rmi://[::1]:9011/jndi/rmi://[::1]:9011/jmxrmi",
                new JmxSettings(true, "::1", 9011).serviceUrl());
    }

    @Test
    void onOffSettingsShouldAcceptWhatHoconCallsBooleans() {
        assertTrue(parse("shoal.cluster.bootstrap.enabled = true").cluster().bootstrap().enabled());
        assertTrue(parse("shoal.cluster.bootstrap.enabled = \"on\"").cluster().bootstrap().enabled());
        assertFalse(parse("shoal.jmx.remote.enabled = no").jmx().remoteEnabled());
    }

    @Test
    void aLeadingTildeShouldBeTheHomeDirectory() {
        assertEquals(Path.of(System.getProperty("user.home"), "m"), parse("shoal.models.dir = \"~/m\"").models().dir());
        assertEquals(Path.of(System.getProperty("user.home")), parse("shoal.models.dir = \"~\"").models().dir());
    }

    @Test
    void aRelativeModelsDirShouldBeMadeAbsolute() {
        assertEquals(Path.of("models").toAbsolutePath(), parse("shoal.models.dir = models").models().dir());
    }

    @Test
    void keepAliveShouldAcceptForeverZeroAndNegative() {
        assertTrue(parse("shoal.models.keep-alive = forever").models().keepsForever());
        assertTrue(parse("shoal.models.keep-alive = -1 s").models().keepsForever());
        ModelSettings zero = parse("shoal.models.keep-alive = 0").models();
        assertEquals(Duration.ZERO, zero.keepAlive());
        assertFalse(zero.keepsForever());
    }

    @Test
    void sizesShouldTakeBinaryUnitsAndPlainBytes() {
        assertEquals(512L << 20, parse("shoal.memory.budget = 512 MiB").memory().budgetBytes());
        assertEquals(3 * GIB, parse("shoal.memory.budget = 3G").memory().budgetBytes());
        assertEquals(2_000_000, parse("shoal.memory.budget = 2000000").memory().budgetBytes());
    }

    @Test
    void numbersGivenAsStringsShouldBeAccepted() {
        // system properties and command-line overrides arrive as strings
        assertEquals(9000, parse("shoal.http.port = \"9000\"").http().port());
        assertEquals(2, parse("shoal.engine.threads = \"2\"").engine().threads());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            shoal.http.port = 70000                | shoal.http.port = 70000: must be an integer between 0 and 65535
            shoal.http.port = -1                   | shoal.http.port = -1: must be an integer between 0 and 65535
            shoal.http.port = 80.5                 | shoal.http.port = 80.5: must be an integer between 0 and 65535
            shoal.http.port = http                 | shoal.http.port = http: must be an integer between 0 and 65535
            shoal.http.port = null                 | shoal.http.port = null: must be an integer between 0 and 65535
            shoal.http.host = ""                   | shoal.http.host = "": must be a host name or IP address
            shoal.http.host = [a]                  | shoal.http.host = ["a"]: must be a host name or IP address
            shoal.http.shutdown-deadline = 2 h     | shoal.http.shutdown-deadline = "2 h": must be a duration between 0 s and 1 h (e.g. "30 s", "5 m")
            shoal.http.shutdown-deadline = soon    | shoal.http.shutdown-deadline = soon: must be a duration between 0 s and 1 h (e.g. "30 s", "5 m")
            shoal.models.dir = ""                  | shoal.models.dir = "": must be a directory path
            shoal.models.preload = llama           | shoal.models.preload = llama: must be a list of model names, e.g. ["llama3.2", "qwen3:0.6b"]
            shoal.models.preload = [a, 1]          | shoal.models.preload = ["a",1]: must be a list of model names, e.g. ["llama3.2", "qwen3:0.6b"]
            shoal.models.keep-alive = later        | shoal.models.keep-alive = later: must be a duration >= 0 (e.g. "5 m", "30 s", 0 to unload at once) or "forever"
            shoal.models.max-loaded = 0            | shoal.models.max-loaded = 0: must be an integer between 1 and 1024
            shoal.models.load-timeout = 0          | shoal.models.load-timeout = 0: must be a duration between 1 s and 1 h (e.g. "30 s", "5 m")
            shoal.engine.threads = 0               | shoal.engine.threads = 0: must be an integer between 1 and 1024, or "auto"
            shoal.engine.threads = many            | shoal.engine.threads = many: must be an integer between 1 and 1024, or "auto"
            shoal.engine.context-length = 8        | shoal.engine.context-length = 8: must be an integer between 16 and 1048576
            shoal.engine.max-batch = 1000          | shoal.engine.max-batch = 1000: must be an integer between 1 and 256
            shoal.engine.max-queue = -5            | shoal.engine.max-queue = -5: must be an integer between 0 and 1000000
            shoal.memory.budget = 12 bananas       | shoal.memory.budget = "12 bananas": must be "auto" or a size of at least 1 MiB (e.g. "12 GiB", "800 MiB")
            shoal.memory.budget = 1000             | shoal.memory.budget = 1000: must be "auto" or a size of at least 1 MiB (e.g. "12 GiB", "800 MiB")
            shoal.cluster.node-name = "a b"        | shoal.cluster.node-name = "a b": must be empty (derived from the Pekko host:port) or 1 to 63 letters, digits, '.', '-', '_' or ':'
            shoal.cluster.node-name = "a,b"        | shoal.cluster.node-name = a,b: must be empty (derived from the Pekko host:port) or 1 to 63 letters, digits, '.', '-', '_' or ':'
            shoal.cluster.node-name = 7            | shoal.cluster.node-name = 7: must be empty (derived from the Pekko host:port) or 1 to 63 letters, digits, '.', '-', '_' or ':'
            shoal.cluster.roles = gpu              | shoal.cluster.roles = gpu: must be a list of role names, none starting with "dc-" or "node=" (e.g. ["gpu", "big-memory"])
            shoal.cluster.roles = ["dc-west"]      | shoal.cluster.roles = ["dc-west"]: must be a list of role names, none starting with "dc-" or "node=" (e.g. ["gpu", "big-memory"])
            shoal.cluster.roles = ["node=x"]       | shoal.cluster.roles = ["node=x"]: must be a list of role names, none starting with "dc-" or "node=" (e.g. ["gpu", "big-memory"])
            shoal.cluster.bootstrap.enabled = 2    | shoal.cluster.bootstrap.enabled = 2: must be on or off
            shoal.cluster.bootstrap.enabled = maybe | shoal.cluster.bootstrap.enabled = maybe: must be on or off
            shoal.cluster.bootstrap.required-contact-points = 0 | shoal.cluster.bootstrap.required-contact-points = 0: must be an integer between 1 and 1000
            shoal.cluster.data-host = ""           | shoal.cluster.data-host = "": must be a host name or IP address
            shoal.cluster.data-port = 65536        | shoal.cluster.data-port = 65536: must be an integer between 0 and 65535
            shoal.cluster.data-port = -1           | shoal.cluster.data-port = -1: must be an integer between 0 and 65535
            shoal.cluster.peer-timeout = 0         | shoal.cluster.peer-timeout = 0: must be a duration between 1 ms and 1 h (e.g. "30 s", "5 m")
            shoal.cluster.peer-timeout = 2 h       | shoal.cluster.peer-timeout = "2 h": must be a duration between 1 ms and 1 h (e.g. "30 s", "5 m")
            shoal.jmx.remote.enabled = [on]        | shoal.jmx.remote.enabled = ["on"]: must be on or off
            shoal.jmx.remote.host = ""             | shoal.jmx.remote.host = "": must be a host name or IP address
            shoal.jmx.remote.port = 0              | shoal.jmx.remote.port = 0: must be an integer between 1 and 65535
            shoal.jmx.remote.port = 65536          | shoal.jmx.remote.port = 65536: must be an integer between 1 and 65535
            shoal.placement.link-reprobe-interval = 5 s | shoal.placement.link-reprobe-interval = "5 s": must be a duration between 10 s and 168 h (e.g. "10 m"), or "off"
            shoal.placement.link-reprobe-interval = never | shoal.placement.link-reprobe-interval = never: must be a duration between 10 s and 168 h (e.g. "10 m"), or "off"
            shoal.placement.fetch-slices = sometimes | shoal.placement.fetch-slices = sometimes: must be on or off
            shoal.models.keep-fetched = 1          | shoal.models.keep-fetched = 1: must be on or off
            """)
    void aBadValueShouldFailWithOneLineNamingKeyValueAndWhatIsAllowed(String hocon, String message) {
        assertEquals(message, failure(hocon));
    }

    @Test
    void anAutoBudgetThatLeavesNothingShouldSaySo() {
        SettingsException e = assertThrows(SettingsException.class, () -> NodeSettings.fromConfig(
                ConfigFactory.empty(), new Machine(4 * GIB, 4 * GIB, 2)));
        assertEquals("shoal.memory.budget = auto: 80% of 4.0 GiB RAM minus the JVM's 4.0 GiB maximum heap leaves "
                + "nothing for models; set a size such as \"4 GiB\" or lower -Xmx", e.getMessage());
    }

    @Test
    void placementShouldDefaultToAutoOverEveryNode() {
        PlacementSettings p = parse("").placement();
        assertEquals(new PlacementSettings.ModelPlacement("auto", 0), p.defaults());
        assertEquals(Map.of(), p.models());
        assertEquals(java.time.Duration.ofMinutes(2), p.loadTimeout());
        assertEquals(java.time.Duration.ofSeconds(15), p.settleTimeout());
        assertEquals(java.time.Duration.ofNanos(500_000), p.fastLinkRoundTrip());
        assertEquals(100_000_000L, p.fastLinkBytesPerSecond());
        assertEquals(java.time.Duration.ofMinutes(10), p.linkReprobeInterval());
        assertEquals(null, parse("shoal.placement.link-reprobe-interval = off").placement().linkReprobeInterval());
        assertEquals(java.time.Duration.ofSeconds(30),
                parse("shoal.placement.link-reprobe-interval = 30 s").placement().linkReprobeInterval());
        assertTrue(p.fetchSlices());
        assertFalse(parse("shoal.placement.fetch-slices = off").placement().fetchSlices());
    }

    @Test
    void perModelPlacementShouldOverrideTheDefaultsKeyByKey() {
        PlacementSettings p = parse("""
                shoal.placement { mode = Tensor, max-nodes = 2
                  models { "llama3.1:70b" { mode = pipeline }, tiny { max-nodes = 3 } } }
                """).placement();
        assertEquals(new PlacementSettings.ModelPlacement("tensor", 2), p.defaults());
        assertEquals(new PlacementSettings.ModelPlacement("pipeline", 2), p.of("llama3.1:70b"));
        assertEquals(new PlacementSettings.ModelPlacement("tensor", 3), p.of("tiny"));
        assertEquals(p.defaults(), p.of("other"));
    }

    @Test
    void aBadIdleModeShouldSayWhatIsAllowed() {
        assertEquals("shoal.cluster.idle = spin: must be adaptive, backoff or yielding",
                failure("shoal.cluster.idle = spin"));
    }

    @Test
    void pinsShouldBeReadWithOmittedRangesLeftOpen() {
        PlacementSettings.ModelPlacement m = parse("""
                shoal.placement.models.big.pins = [
                  { node = "a", layers = "0-8" },
                  { node = "b", layers = "8 - 16", kv-heads = "0-4", ffn = "0-4096", vocab = "0-64128" } ]
                """).placement().of("big");
        assertEquals(2, m.pins().size());
        PlacementSettings.PinSettings a = m.pins().get(0);
        assertEquals("a", a.node());
        assertArrayEquals(new int[] {0, 8}, a.layers());
        assertNull(a.kvHeads());
        PlacementSettings.PinSettings b = m.pins().get(1);
        assertArrayEquals(new int[] {8, 16}, b.layers());
        assertArrayEquals(new int[] {0, 64128}, b.vocab());
    }

    @Test
    void badPinsShouldNameThePinAndTheKey() {
        assertEquals("shoal.placement.models.big.pins[1].layers = 8-8: must be a half-open range \"start-end\" "
                + "with start < end", failure("shoal.placement.models.big.pins = [{ node = a, layers = \"0-8\" }, "
                + "{ node = b, layers = \"8-8\" }]"));
        assertTrue(failure("shoal.placement.models.big.pins = [{ layers = \"0-8\" }]")
                .startsWith("shoal.placement.models.big.pins[0].node: must be a node name"));
        assertTrue(failure("shoal.placement.models.big.pins = [{ node = a, heads = \"0-8\" }]")
                .startsWith("shoal.placement.models.big.pins[0].heads: unknown key"));
        assertTrue(failure("shoal.placement.models.big.pins = 5").startsWith("shoal.placement.models.big.pins = 5"));
    }

    @Test
    void badPlacementValuesShouldNameTheKeyAndWhatIsAllowed() {
        assertEquals("shoal.placement.mode = sharded: must be one of auto, replicas, pipeline, tensor, hybrid",
                failure("shoal.placement.mode = sharded"));
        assertTrue(failure("shoal.placement.models { m { mode = striped } }")
                .startsWith("shoal.placement.models.m.mode = striped: must be one of auto"));
        assertTrue(failure("shoal.placement.max-nodes = -1").startsWith("shoal.placement.max-nodes = -1: must be"));
        assertTrue(failure("shoal.placement.models = 3").startsWith("shoal.placement.models = 3: must be an object"));
        assertTrue(failure("shoal.placement.load-timeout = 0 s").startsWith("shoal.placement.load-timeout"));
    }

    @Test
    void anUnresolvedSubstitutionShouldBeOneLine() {
        assertTrue(failure("shoal.http.host = ${nowhere}").contains("nowhere"));
    }

    @Test
    void theReferenceConfShouldDocumentEveryKeyItDefines() throws Exception {
        String ref = new String(NodeSettings.class.getResourceAsStream("/reference.conf").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        var keys = ConfigFactory.parseString(ref).getConfig("shoal").entrySet();
        assertEquals(34, keys.size(), keys.toString());
        List<String> lines = ref.lines().toList();
        for (var k : keys) {
            String leaf = k.getKey().substring(k.getKey().lastIndexOf('.') + 1);
            int at = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().startsWith(leaf + " =")) {
                    at = i;
                }
            }
            assertTrue(at > 0 && lines.get(at - 1).strip().startsWith("#"), "no comment above " + k.getKey());
        }
    }
}
