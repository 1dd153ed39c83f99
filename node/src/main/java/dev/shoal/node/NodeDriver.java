package dev.shoal.node;

import dev.shoal.transport.DriverSettings;
import dev.shoal.transport.EmbeddedDriver;
import io.aeron.Aeron;
import io.aeron.exceptions.DriverTimeoutException;
import java.nio.file.Path;

/**
 * The node's Aeron client, made when the first slice of a distributed model loads here (a node that only serves
 * whole models needs none): either over an embedded media driver launched in a directory of its own, or over the
 * driver the host's nodes share ({@code shoal.cluster.aeron-dir}, run by {@code shoal driver}). Closed after the
 * actor system (and so every shard worker's publications) has stopped; a shared driver keeps running.
 */
final class NodeDriver implements AutoCloseable {

    private final DriverSettings settings;
    /** The shared driver's directory, or null for an embedded one. */
    private final Path shared;
    private EmbeddedDriver driver;
    private Aeron client;
    private boolean closed;

    NodeDriver(DriverSettings settings, Path shared) {
        this.settings = settings;
        this.shared = shared;
    }

    synchronized Aeron aeron() {
        if (closed) {
            throw new IllegalStateException("the node is shutting down");
        }
        if (client == null) {
            if (shared == null) {
                driver = EmbeddedDriver.launch(settings);
                client = driver.aeron();
            } else {
                try {
                    client = Aeron.connect(new Aeron.Context().aeronDirectoryName(shared.toString()));
                } catch (DriverTimeoutException e) {
                    throw new IllegalStateException("no Aeron media driver runs in " + shared
                            + " (shoal.cluster.aeron-dir); start one with: bin/shoal driver --dir " + shared, e);
                }
            }
        }
        return client;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (driver != null) {
            driver.close();
        } else if (client != null) {
            client.close();
        }
        driver = null;
        client = null;
    }
}
