package dev.shoal.transport.step;

import java.util.Objects;

/**
 * Where a node receives data-plane traffic: its host and its one UDP data port. Every subscription of the node
 * binds this same port; Aeron stream ids tell purposes and model instances apart ({@link StreamIds}).
 */
public record DataAddress(String host, int port) {

    public DataAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("data host must not be blank");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("data port out of range: port=" + port);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
