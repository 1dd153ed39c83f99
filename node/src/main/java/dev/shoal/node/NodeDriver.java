package dev.shoal.node;

import dev.shoal.transport.DriverSettings;
import dev.shoal.transport.EmbeddedDriver;
import io.aeron.Aeron;

/**
 * The node's embedded Aeron media driver, launched when the first slice of a distributed model loads here (a node
 * that only serves whole models runs none) in a directory of its own, and closed after the actor system (and so
 * every shard worker's publications) has stopped.
 */
final class NodeDriver implements AutoCloseable {

    private final DriverSettings settings;
    private EmbeddedDriver driver;
    private boolean closed;

    NodeDriver(DriverSettings settings) {
        this.settings = settings;
    }

    synchronized Aeron aeron() {
        if (closed) {
            throw new IllegalStateException("the node is shutting down");
        }
        if (driver == null) {
            driver = EmbeddedDriver.launch(settings);
        }
        return driver.aeron();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (driver != null) {
            driver.close();
            driver = null;
        }
    }
}
