package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Driver directories of dead processes go; those of live processes, and anything else, stay. */
class StaleDriverDirectoriesTest {

    @Test
    void shouldRemoveOnlyTheDirectoriesOfProcessesThatAreGone(@TempDir Path base) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        long dead = p.pid();
        Path stale = Files.createDirectories(base.resolve("shoal-aeron-" + dead + "-1-abc"));
        Files.writeString(Files.createDirectories(stale.resolve("publications")).resolve("1.logbuffer"), "x");
        Path mine = Files.createDirectories(base.resolve("shoal-aeron-" + ProcessHandle.current().pid() + "-2-def"));
        Path other = Files.createDirectories(base.resolve("aeron-root"));
        Path odd = Files.createDirectories(base.resolve("shoal-aeron-notapid-3"));

        assertEquals(1, StaleDriverDirectories.remove(base));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(mine));
        assertTrue(Files.exists(other));
        assertTrue(Files.exists(odd));
    }

    @Test
    void shouldReadTheProcessIdFromTheName() {
        assertEquals(12345, StaleDriverDirectories.pidOf("shoal-aeron-12345-1-f30164e60ab"));
        assertEquals(-1, StaleDriverDirectories.pidOf("aeron-root"));
        assertEquals(-1, StaleDriverDirectories.pidOf("shoal-aeron-x-1"));
    }
}
