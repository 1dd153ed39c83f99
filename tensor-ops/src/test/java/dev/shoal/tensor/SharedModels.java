package dev.shoal.tensor;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/models} beside the project checkout. Under {@code CI=true} a missing file fails the
 * test (CI always has the folder); elsewhere the test is skipped with a message.
 */
public final class SharedModels {

    private SharedModels() {
    }

    /** The shared models folder, found by walking up from the project root (or the working directory). */
    public static Path dir() {
        String root = System.getenv("SHOAL_PROJECT_ROOT");
        Path start = (root != null && !root.isBlank() ? Path.of(root) : Path.of("")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("models");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            Path inside = p.resolve("shared").resolve("models");
            if (Files.isDirectory(inside)) {
                return inside;
            }
        }
        return start.resolveSibling("shared").resolve("models");
    }

    /** A file under the shared models folder; fails under CI when absent, else skips the test. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("missing shared model file " + p + " (CI must have ../shared/models)");
            }
            assumeTrue(false, "shared model file not present: " + p);
        }
        return p;
    }
}
