package dev.shoal.transport.step;

import java.util.Objects;

/**
 * Where a node receives data-plane traffic: its host and its one UDP data port, and which media driver it uses.
 * Every subscription of the node binds this same port; Aeron stream ids tell purposes and model instances apart
 * ({@link StreamIds}).
 *
 * @param driver the {@link dev.shoal.transport.SharedDriverId id} of the host's shared media driver the node uses
 *               ({@code shoal.cluster.aeron-dir}), or empty when the node runs a driver of its own. Nodes with
 *               the same non-empty id exchange data over {@code aeron:ipc} instead of UDP.
 */
public record DataAddress(String host, int port, String driver) {

    public DataAddress {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(driver, "driver");
        if (host.isBlank()) {
            throw new IllegalArgumentException("data host must not be blank");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("data port out of range: port=" + port);
        }
    }

    /** A node with a media driver of its own. */
    public DataAddress(final String host, final int port) {
        this(host, port, "");
    }

    /** Whether this node and {@code other} publish into one media driver. */
    public boolean sharesDriverWith(final DataAddress other) {
        return !driver.isEmpty() && driver.equals(other.driver);
    }

    @Override
    public String toString() {
        return driver.isEmpty() ? host + ":" + port : host + ":" + port + " (shared driver)";
    }
}
