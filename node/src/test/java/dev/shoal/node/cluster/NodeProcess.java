package dev.shoal.node.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Shoal node as its own JVM, started the way a user starts one ({@code Main node -c application.conf}) with
 * this test's classpath. Its stdout and stderr go to a log file beside the config (printed when a test fails). The
 * node is ready when it prints its ready line.
 */
final class NodeProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    final String name;
    final Path config;
    final Path log;
    final int httpPort;
    private final Process process;

    private NodeProcess(String name, Path config, Path log, int httpPort, Process process) {
        this.name = name;
        this.config = config;
        this.log = log;
        this.httpPort = httpPort;
        this.process = process;
    }

    /** Writes {@code conf} to {@code dir/<name>.conf} and starts the node; returns once it is ready. */
    static NodeProcess start(Path dir, String name, String conf, int httpPort, String... jvmFlags) throws Exception {
        Path config = dir.resolve(name + ".conf");
        Files.writeString(config, conf);
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xss4m");
        cmd.add("-XX:-UseProfiledLoopPredicate");
        cmd.add("-Xmx384m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(List.of(jvmFlags));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.shoal.node.Main");
        cmd.add("node");
        cmd.add("-c");
        cmd.add(config.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        NodeProcess node = new NodeProcess(name, config, log, httpPort, p);
        node.awaitReady();
        return node;
    }

    private void awaitReady() throws Exception {
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("log-" + name).start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.startsWith("shoal node ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            } finally {
                ready.complete(false);
            }
        });
        boolean ok;
        try {
            ok = ready.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ok = false;
        }
        if (!ok) {
            process.destroyForcibly();
            throw new IllegalStateException("node " + name + " did not become ready; its log:\n" + logText());
        }
    }

    String base() {
        return "http://127.0.0.1:" + httpPort;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** {@code kill -9}: no shutdown hook, no leaving the cluster. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM (graceful: drains, leaves the cluster), then SIGKILL if it does not end. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
