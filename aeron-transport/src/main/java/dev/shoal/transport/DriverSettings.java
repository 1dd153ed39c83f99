package dev.shoal.transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Settings of one node's {@link EmbeddedDriver}.
 *
 * @param directory the Aeron directory (cnc file, log buffers); must be unique per driver, because every driver
 *                  defaults to {@code /dev/shm/aeron-<user>} and a second one fails with "active media driver
 *                  detected" (STACK.md P10). It is wiped on start and deleted on close.
 * @param idle      how the driver's single (shared) thread idles
 */
public record DriverSettings(Path directory, IdleMode idle) {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    public DriverSettings {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(idle, "idle");
    }

    /** A fresh unique directory (under /dev/shm when it exists, else the temp dir), back-off idling. */
    public static DriverSettings defaults() {
        return new DriverSettings(uniqueDirectory(), IdleMode.BACKOFF);
    }

    public DriverSettings withIdle(final IdleMode mode) {
        return new DriverSettings(directory, mode);
    }

    /**
     * {@code /dev/shm/shoal-aeron-<pid>-<n>-<nanos>}: /dev/shm keeps the log buffers in memory; the temp dir is the
     * portable fallback (macOS, containers without a shm mount).
     */
    public static Path uniqueDirectory() {
        final Path shm = Path.of("/dev/shm");
        final Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("shoal-aeron-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + "-"
                + Long.toHexString(System.nanoTime()));
    }
}
