package dev.shoal.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The model file names a node has, for its profile: {@code *.gguf} directly in the models directory or one level down,
 * the same places the model catalog serves from. Names only (a peer asks for a file by name); a missing directory
 * has none.
 */
public final class ModelFiles {

    private static final String SUFFIX = ".gguf";

    private ModelFiles() {
    }

    /** Sorted, each name once. */
    public static java.util.List<String> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        TreeSet<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(dir, 2)) {
            files.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.toLowerCase(Locale.ROOT).endsWith(SUFFIX))
                    .forEach(names::add);
        } catch (UncheckedIOException | IOException e) {
            // a subdirectory removed or unreadable while listed: the profile offers what was found, and the model
            // catalog logs the reason when it scans
        }
        return java.util.List.copyOf(names);
    }
}
