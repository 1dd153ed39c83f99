package dev.shoal.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The model files a node has, for its profile: {@code *.gguf} directly in the models directory or one level down,
 * the same places the model catalog serves from, as paths relative to the directory with {@code /} separators
 * ({@code llama.gguf}, {@code extra/qwen3:8b.gguf}) — how a placement names the file each node loads. A missing
 * directory has none.
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
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(SUFFIX))
                    .map(p -> dir.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
                    .forEach(names::add);
        } catch (UncheckedIOException | IOException e) {
            // a subdirectory removed or unreadable while listed: the profile offers what was found, and the model
            // catalog logs the reason when it scans
        }
        return java.util.List.copyOf(names);
    }
}
