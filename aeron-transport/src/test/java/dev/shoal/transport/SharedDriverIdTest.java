package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The id nodes compare to know they publish into one media driver. */
class SharedDriverIdTest {

    @TempDir
    Path tmp;

    @Test
    void aRunningDriverShouldHaveAStableIdNamingItsDirectoryAndProcessAndARestartAnother() throws Exception {
        final Path dir = DriverSettings.uniqueDirectory();
        final String first;
        try (EmbeddedDriver driver = EmbeddedDriver.launch(new DriverSettings(dir, IdleMode.BACKOFF))) {
            first = SharedDriverId.read(dir);
            assertEquals(first, SharedDriverId.read(dir), "read twice");
            assertTrue(first.startsWith(dir.toRealPath() + "#" + ProcessHandle.current().pid() + "@"), first);
        }
        Thread.sleep(5); // the start timestamp has millisecond resolution
        try (EmbeddedDriver again = EmbeddedDriver.launch(new DriverSettings(dir, IdleMode.BACKOFF))) {
            assertNotEquals(first, SharedDriverId.read(dir), "a restarted driver is another driver");
        }
    }

    @Test
    void aDirectoryWithoutARunningDriverShouldSayHowToStartOne() throws Exception {
        final IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> SharedDriverId.read(tmp.resolve("host")));
        assertTrue(none.getMessage().contains("start one with: bin/shoal driver --dir " + tmp.resolve("host")),
                none.getMessage());
        Files.writeString(tmp.resolve("cnc.dat"), "stale");
        final IllegalStateException truncated = assertThrows(IllegalStateException.class,
                () -> SharedDriverId.read(tmp));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
    }
}
