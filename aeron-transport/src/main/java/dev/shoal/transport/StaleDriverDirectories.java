package dev.shoal.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes the driver directories ({@code shoal-aeron-<pid>-…}) of processes that no longer run. A node killed with
 * SIGKILL (or one whose JVM exits before its driver closes) leaves its directory behind, tens of MiB of log buffers
 * held in /dev/shm, which is memory; the next driver launched on the machine clears them. A directory whose process
 * id is alive again (reused) is left alone.
 */
final class StaleDriverDirectories {

    static final String PREFIX = "shoal-aeron-";

    private StaleDriverDirectories() {
    }

    /** Deletes the stale directories in {@code base}; returns how many. Never throws. */
    static int remove(final Path base) {
        int removed = 0;
        try (Stream<Path> entries = Files.list(base)) {
            for (final Path dir : entries.toList()) {
                final long pid = pidOf(dir.getFileName().toString());
                if (pid > 0 && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true) && deleteTree(dir)) {
                    removed++;
                }
            }
        } catch (final IOException | RuntimeException e) {
            // a directory we cannot list or clean is left as it was: the launch must not fail for it
        }
        return removed;
    }

    /** The process id in {@code shoal-aeron-<pid>-<n>-<nanos>}, or -1. */
    static long pidOf(final String name) {
        if (!name.startsWith(PREFIX)) {
            return -1;
        }
        final int end = name.indexOf('-', PREFIX.length());
        try {
            return end < 0 ? -1 : Long.parseLong(name.substring(PREFIX.length(), end));
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    private static boolean deleteTree(final Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            final List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (final Path p : paths) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (final IOException | RuntimeException e) {
            return false;
        }
    }
}
