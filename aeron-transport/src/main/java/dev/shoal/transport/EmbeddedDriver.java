package dev.shoal.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.nio.file.Path;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * One node's Aeron media driver, embedded in the JVM, plus the Aeron client connected to it.
 *
 * <p>The driver runs {@link ThreadingMode#SHARED} (conductor, sender and receiver on one thread: a small node has
 * no cores to give three spinning threads) with a non-spinning idle strategy (STACK.md P12). Buffers are sized for
 * tensors (STACK.md §4): 4 MiB publication and IPC terms, a 32 KiB MTU for UDP and IPC, a 2 MiB initial receiver
 * window and 2 MiB socket buffers; term files are sparse, so an idle stream costs little of /dev/shm. Images of
 * silent peers are dropped after {@link DriverSettings#imageLiveness()} (default 3 s, Aeron's is 10 s), which is
 * how a worker notices that its supervisor's node is gone.
 *
 * <p>The client is thread-safe: ranks sharing this driver share the client, each with its own publications and
 * subscriptions. {@link #close()} closes the client, then the driver, which deletes its directory.
 */
public final class EmbeddedDriver implements AutoCloseable {

    /** Bytes of one term of every publication (UDP and IPC); one message may be at most 1/8 of it. */
    public static final int TERM_LENGTH = 4 * 1024 * 1024;

    /** Largest UDP datagram / IPC fragment. */
    public static final int MTU_LENGTH = 32 * 1024;

    /** Receiver window and socket buffer sizes. */
    public static final int WINDOW_LENGTH = 2 * 1024 * 1024;

    /** How often the driver's async executor (name resolution) looks for tasks. */
    static final long ASYNC_EXECUTOR_SLEEP_MS = 10;

    private final MediaDriver driver;
    private final Aeron aeron;
    private final Path directory;

    private EmbeddedDriver(final MediaDriver driver, final Aeron aeron, final Path directory) {
        this.driver = driver;
        this.aeron = aeron;
        this.directory = directory;
    }

    /** A driver in a fresh directory under /dev/shm (or the temp dir). */
    public static EmbeddedDriver launch() {
        return launch(DriverSettings.defaults());
    }

    public static EmbeddedDriver launch(final DriverSettings settings) {
        final Path parent = settings.directory().toAbsolutePath().getParent();
        if (parent != null && settings.directory().getFileName().toString().startsWith(StaleDriverDirectories.PREFIX)) {
            StaleDriverDirectories.remove(parent);
        }
        final String dir = settings.directory().toAbsolutePath().toString();
        final MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(dir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(settings.driverIdleStrategy())
                // name resolution and the driver's other rare tasks: its default wake-up every millisecond cost
                // 1-2 % of a core on an idle node
                .asyncExecutorIdleStrategy(new SleepingMillisIdleStrategy(ASYNC_EXECUTOR_SLEEP_MS))
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .imageLivenessTimeoutNs(settings.imageLiveness().toNanos())
                .publicationConnectionTimeoutNs(settings.imageLiveness().toNanos())
                .warnIfDirectoryExists(false)
                .termBufferSparseFile(true)
                .publicationTermBufferLength(TERM_LENGTH)
                .ipcTermBufferLength(TERM_LENGTH)
                .mtuLength(MTU_LENGTH)
                .ipcMtuLength(MTU_LENGTH)
                .initialWindowLength(WINDOW_LENGTH)
                .socketRcvbufLength(WINDOW_LENGTH)
                .socketSndbufLength(WINDOW_LENGTH);
        final MediaDriver driver = MediaDriver.launch(ctx);
        try {
            final Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir));
            return new EmbeddedDriver(driver, aeron, settings.directory());
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(driver);
            throw e;
        }
    }

    /** The client connected to this driver. */
    public Aeron aeron() {
        return aeron;
    }

    /** The Aeron directory (deleted on close). */
    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        CloseHelper.closeAll(aeron, driver);
    }

    @Override
    public String toString() {
        return "EmbeddedDriver[" + directory + "]";
    }
}
