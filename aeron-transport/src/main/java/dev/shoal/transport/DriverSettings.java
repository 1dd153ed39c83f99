package dev.shoal.transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.IdleStrategy;

/**
 * Settings of one node's {@link EmbeddedDriver}.
 *
 * @param directory the Aeron directory (cnc file, log buffers); must be unique per driver, because every driver
 *                  defaults to {@code /dev/shm/aeron-<user>} and a second one fails with "active media driver
 *                  detected" (STACK.md P10). It is wiped on start and deleted on close.
 * @param idle      how the driver's single (shared) thread idles
 * @param imageLiveness how long an image (a peer's publication as seen here) may stay silent before this driver
 *                      drops it and subscribers see it unavailable. A live publication sends heartbeats every
 *                      100 ms even when idle, so only a peer whose driver is gone (process killed, host down)
 *                      goes silent; Aeron's default of 10 s is long for a worker waiting on its supervisor, so
 *                      the default here is {@link #DEFAULT_IMAGE_LIVENESS}. It also bounds how long a
 *                      publication counts as connected after the peer's status messages stop.
 * @param insideNode    the driver runs in a node's JVM, whose data-plane threads tell it when the node is at rest
 *                      ({@link IdleMode#newNodeDriverStrategy()}); false for a host's shared driver process, which
 *                      has no such threads and idles as its mode says
 */
public record DriverSettings(Path directory, IdleMode idle, Duration imageLiveness, boolean insideNode) {

    /** 3 s: a gone peer is noticed within a few seconds; a stalled-but-alive peer's driver has 30× its heartbeat. */
    public static final Duration DEFAULT_IMAGE_LIVENESS = Duration.ofSeconds(3);

    private static final AtomicInteger COUNTER = new AtomicInteger();

    public DriverSettings {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(imageLiveness, "imageLiveness");
        if (imageLiveness.compareTo(Duration.ofMillis(500)) < 0) {
            throw new IllegalArgumentException("image liveness below 500 ms would drop live peers between their "
                    + "heartbeats: imageLiveness=" + imageLiveness);
        }
    }

    /** A driver process of its own (not inside a node), default image liveness. */
    public DriverSettings(final Path directory, final IdleMode idle) {
        this(directory, idle, DEFAULT_IMAGE_LIVENESS, false);
    }

    /** A node's driver in a fresh unique directory (under /dev/shm when it exists, else the temp dir), back-off idling. */
    public static DriverSettings defaults() {
        return new DriverSettings(uniqueDirectory(), IdleMode.BACKOFF, DEFAULT_IMAGE_LIVENESS, true);
    }

    public DriverSettings withIdle(final IdleMode mode) {
        return new DriverSettings(directory, mode, imageLiveness, insideNode);
    }

    public DriverSettings withImageLiveness(final Duration liveness) {
        return new DriverSettings(directory, idle, liveness, insideNode);
    }

    /** The idle strategy of the driver's shared thread. */
    IdleStrategy driverIdleStrategy() {
        return insideNode ? idle.newNodeDriverStrategy() : idle.newStrategy();
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
