package dev.shoal.config;

import java.time.Duration;

/**
 * Where the HTTP API listens ({@code shoal.http}).
 *
 * @param port             0 to 65535; 0 asks the OS for a free port
 * @param shutdownDeadline how long running requests may go on after the port is unbound on shutdown
 */
public record HttpSettings(String host, int port, Duration shutdownDeadline) {
}
