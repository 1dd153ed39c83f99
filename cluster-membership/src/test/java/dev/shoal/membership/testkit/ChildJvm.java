package dev.shoal.membership.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A main class of the test classpath run in a JVM of its own (same java binary, same classpath), for what one JVM
 * cannot show: a node that dies without leaving ({@link #kill()} is SIGKILL), or a JMX client in another process.
 * Its stdout is collected line by line; stderr goes to a file named in failure messages.
 */
public final class ChildJvm implements AutoCloseable {

    /** The flags every node JVM needs (STACK.md §2: Agrona 2.x under Artery TCP), plus a quick, small start. */
    private static final List<String> JVM_FLAGS = List.of(
            "--add-modules=jdk.incubator.vector", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m");

    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread.ofPlatform().daemon().name("child-jvm-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        });
    }

    /**
     * @param systemProperties {@code key=value} pairs passed as {@code -Dkey=value}
     */
    public static ChildJvm start(Class<?> main, List<String> systemProperties, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        systemProperties.forEach(p -> cmd.add("-D" + p));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        try {
            Path err = Files.createTempFile("child-jvm-" + main.getSimpleName() + "-", ".stderr");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            return new ChildJvm(p, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> stdout() {
        return List.copyOf(out);
    }

    /** Waits for a stdout line matching {@code match}; fails naming the output so far and the stderr file. */
    public String awaitLine(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : out) {
                if (match.test(line)) {
                    return line;
                }
            }
            if (!process.isAlive() && out.stream().noneMatch(match)) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("the child JVM printed no such line within " + timeout.toMillis() + " ms (alive: "
                + process.isAlive() + "); stdout " + out + "; stderr in " + stderr + ":\n" + stderrTail());
    }

    /** Waits for the process to end by itself and returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the child JVM did not exit within " + timeout.toMillis() + " ms; stdout "
                        + out + "; stderr:\n" + stderrTail());
            }
            // let the reader thread take the last lines
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    public String stderrTail() {
        try {
            List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** SIGKILL: no shutdown hook, no coordinated shutdown, no leaving the cluster. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        try {
            Files.deleteIfExists(stderr);
        } catch (IOException e) {
            // a temp file
        }
    }
}
