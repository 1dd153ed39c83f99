package dev.shoal.config;

/**
 * Remote JMX access ({@code shoal.jmx.remote}). The MBeans are registered in the platform MBean server either way;
 * this only decides whether another process may connect to it over RMI.
 *
 * @param remoteEnabled start a JMX RMI connector server
 * @param remoteHost    the address its registry and RMI server bind to (loopback by default: it has no
 *                      authentication and no TLS)
 * @param remotePort    the one port both the RMI registry and the RMI server use
 */
public record JmxSettings(boolean remoteEnabled, String remoteHost, int remotePort) {

    /** The URL a JMX client (jconsole, VisualVM, {@code JMXConnectorFactory}) connects to. */
    public String serviceUrl() {
        String h = remoteHost.contains(":") ? "[" + remoteHost + "]" : remoteHost;
        return "service:jmx:rmi://" + h + ":" + remotePort + "/jndi/rmi://" + h + ":" + remotePort + "/jmxrmi";
    }
}
