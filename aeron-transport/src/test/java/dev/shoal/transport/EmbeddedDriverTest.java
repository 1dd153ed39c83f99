package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EmbeddedDriverTest {

    @Test
    void shouldRunTwoDriversInTheirOwnDirectoriesAndDeleteThemOnClose() {
        final Path first;
        final Path second;
        try (EmbeddedDriver a = EmbeddedDriver.launch(); EmbeddedDriver b = EmbeddedDriver.launch()) {
            first = a.directory();
            second = b.directory();
            assertNotEquals(first, second);
            assertTrue(Files.isRegularFile(first.resolve("cnc.dat")), "cnc file in " + first);
            if (Files.isDirectory(Path.of("/dev/shm"))) {
                assertTrue(first.startsWith("/dev/shm"), first.toString());
            }
        }
        assertFalse(Files.exists(first), first + " left behind");
        assertFalse(Files.exists(second), second + " left behind");
    }

    @Test
    void shouldClearADirectoryLeftBehindByACrashedDriver() throws Exception {
        final Path dir = DriverSettings.uniqueDirectory();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cnc.dat"), "stale"); // what a SIGKILLed driver leaves (STACK.md P10)
        try (EmbeddedDriver driver = EmbeddedDriver.launch(new DriverSettings(dir, IdleMode.BACKOFF))) {
            assertTrue(Files.size(dir.resolve("cnc.dat")) > 1024);
        }
        assertFalse(Files.exists(dir));
    }
}
