package dev.shoal.transport;

import io.aeron.CncFileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Names one running media driver, so that nodes can tell whether they share it: the driver directory's real path,
 * the driver's process id and its start time, read from the directory's {@code cnc.dat} (Aeron writes both into the
 * file's metadata when the driver starts). Two nodes with equal ids publish into the same log buffers and may talk
 * over {@code aeron:ipc}; equal paths alone would not do, since every host can have a {@code /dev/shm/shoal-host}.
 * A driver restarted in the same directory gets a new id.
 */
public final class SharedDriverId {

    private SharedDriverId() {
    }

    /**
     * The id of the driver running in {@code directory}.
     *
     * @throws IllegalStateException when no driver has started there (no complete {@code cnc.dat})
     */
    public static String read(final Path directory) {
        final Path cnc = directory.resolve(CncFileDescriptor.CNC_FILE);
        final ByteBuffer meta = ByteBuffer.allocate(CncFileDescriptor.META_DATA_LENGTH).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(cnc, StandardOpenOption.READ)) {
            while (meta.hasRemaining() && ch.read(meta) >= 0) {
                // a cnc file is far longer than its metadata; read until it is in
            }
            if (meta.hasRemaining()) {
                throw notRunning(directory, "its cnc.dat is truncated");
            }
            final int version = meta.getInt(CncFileDescriptor.cncVersionOffset(0));
            final long started = meta.getLong(CncFileDescriptor.startTimestampOffset(0));
            final long pid = meta.getLong(CncFileDescriptor.pidOffset(0));
            if (version == 0 || started == 0) {
                throw notRunning(directory, "its cnc.dat is not ready yet");
            }
            return directory.toRealPath() + "#" + pid + "@" + started;
        } catch (final NoSuchFileException e) {
            throw notRunning(directory, "there is no cnc.dat");
        } catch (final IOException e) {
            throw notRunning(directory, "its cnc.dat cannot be read: " + e.getMessage());
        }
    }

    private static IllegalStateException notRunning(final Path directory, final String why) {
        return new IllegalStateException("no Aeron media driver runs in " + directory + " (" + why
                + "); start one with: bin/shoal driver --dir " + directory);
    }
}
