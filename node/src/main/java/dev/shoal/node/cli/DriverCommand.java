package dev.shoal.node.cli;

import dev.shoal.transport.DriverSettings;
import dev.shoal.transport.EmbeddedDriver;
import dev.shoal.transport.IdleMode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code shoal driver}: an Aeron media driver for the nodes of one host to share ({@code shoal.cluster.aeron-dir}),
 * running until SIGTERM. One driver thread then serves every node of the host, and the nodes' instances whose
 * positions all use it talk over {@code aeron:ipc}, off the driver's thread. {@code --idle sleeping} suits a host
 * whose nodes only talk among themselves (the driver then stays off the compute cores); {@code backoff}, the
 * default, keeps UDP to other hosts responsive.
 */
final class DriverCommand {

    static final String USAGE = "shoal driver --dir DIR [--idle backoff|yielding|sleeping]";

    private DriverCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = Flags.parse(args, USAGE, Set.of("dir", "idle"), Set.of());
        Path dir = Path.of(f.string("dir")).toAbsolutePath();
        if (dir.getParent() == null || !Files.isDirectory(dir.getParent())) {
            throw f.error("--dir " + dir + ": its parent directory does not exist");
        }
        IdleMode idle;
        try {
            idle = IdleMode.valueOf(f.has("idle") ? f.string("idle").toUpperCase(Locale.ROOT) : "BACKOFF");
        } catch (IllegalArgumentException e) {
            throw f.error("unknown --idle '" + f.string("idle") + "' (backoff, yielding or sleeping)");
        }
        if (idle == IdleMode.ADAPTIVE) {
            throw f.error("--idle adaptive is for the threads waiting inside a step; a driver backs off or yields");
        }
        EmbeddedDriver driver = EmbeddedDriver.launch(new DriverSettings(dir, idle));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            driver.close();
            stopped.countDown();
        }, "shoal-driver-stop"));
        out.println("shoal driver ready: " + dir + " (idle " + idle.name().toLowerCase(Locale.ROOT) + ")");
        out.flush();
        stopped.await();
        return 0;
    }
}
