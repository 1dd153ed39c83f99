package dev.shoal.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code shoal node}'s start-up checks: each bad input is one line and exit 2, before anything starts. */
class NodeCommandTest {

    static CliTest.Run node(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "node";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliTest.run("", all);
    }

    static void assertOneLine(CliTest.Run r, String expected) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(expected, r.err().strip());
    }

    @Test
    void aBadValueInTheConfigFileShouldStopStartUpWithOneLine(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("node.conf");
        Files.writeString(conf, "shoal.engine.max-batch = 0\n");
        assertOneLine(node("-c", conf.toString()),
                "shoal node: shoal.engine.max-batch = 0: must be an integer between 1 and 256");
    }

    @Test
    void aFlagShouldOverrideTheConfigFileAndBeChecked(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("node.conf");
        Files.writeString(conf, "shoal.http.host = \"0.0.0.0\"\nshoal.memory.budget = lots\n");
        assertOneLine(node("--config", conf.toString(), "--http-host", "127.0.0.1"),
                "shoal node: shoal.memory.budget = lots: must be \"auto\" or a size of at least 1 MiB "
                        + "(e.g. \"12 GiB\", \"800 MiB\")");
        CliTest.Run r = node("--http-port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("shoal node: --http-port must be between 0 and 65535, got 70000; usage: "
                + "shoal node"), r.err());
    }

    @Test
    void aMissingOrMalformedConfigFileShouldBeOneLine(@TempDir Path dir) throws Exception {
        CliTest.Run missing = node("-c", dir.resolve("nope.conf").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("shoal node: -c " + dir.resolve("nope.conf") + ": no such file"),
                missing.err());
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "shoal { http { port = \n");
        CliTest.Run r = node("-c", bad.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("shoal node: "), r.err());
    }

    @Test
    void helpShouldListTheNodeCommand() {
        CliTest.Run r = CliTest.run("", "node", "--help");
        assertEquals(0, r.code());
        assertTrue(r.err().contains("shoal node [-c|--config FILE]"), r.err());
    }
}
