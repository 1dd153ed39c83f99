package dev.shoal.tensor.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be read: truncated, corrupted, or of a version we do not read. The message names the
 * file, what was being read and the byte offset, so that a user can tell a bad download from a bug.
 */
public final class GgufFormatException extends RuntimeException {

    public GgufFormatException(String message) {
        super(message);
    }

    static GgufFormatException at(Path file, long offset, String what) {
        return new GgufFormatException(file.getFileName() + ": " + what + " (at byte " + offset + ")");
    }
}
