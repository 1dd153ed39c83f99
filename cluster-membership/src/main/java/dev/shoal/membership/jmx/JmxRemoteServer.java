package dev.shoal.membership.jmx;

import dev.shoal.config.JmxSettings;
import dev.shoal.membership.MembershipException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.Map;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JMX RMI connector server over the platform MBean server ({@code shoal.jmx.remote}): the RMI registry and the RMI
 * server share one port and bind to the configured address only, so one port is all a firewall or SSH tunnel needs:
 * {@code service:jmx:rmi://HOST:PORT/jndi/rmi://HOST:PORT/jmxrmi}.
 *
 * <p>There is no authentication and no TLS: whoever reaches the port can read and invoke every MBean of the JVM,
 * Pekko's {@code leave}/{@code down} included. That is why the default host is loopback; binding to another address
 * exposes the node to its whole network.
 *
 * <p>RMI stubs carry the host clients call back; it comes from the JVM-wide {@code java.rmi.server.hostname}, which is
 * set to the configured host unless it is already set (then that value is kept, and must be reachable).
 */
public final class JmxRemoteServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JmxRemoteServer.class);

    private final JMXConnectorServer server;
    private final Registry registry;
    private final String serviceUrl;

    private JmxRemoteServer(JMXConnectorServer server, Registry registry, String serviceUrl) {
        this.server = server;
        this.registry = registry;
        this.serviceUrl = serviceUrl;
    }

    /** @throws MembershipException naming {@code shoal.jmx.remote.*} when the address or port cannot be used */
    public static JmxRemoteServer start(JmxSettings settings) {
        String where = settings.remoteHost() + ":" + settings.remotePort();
        Registry registry = null;
        try {
            InetAddress bind = InetAddress.getByName(settings.remoteHost());
            BoundServerSocketFactory sockets = new BoundServerSocketFactory(bind);
            if (System.getProperty("java.rmi.server.hostname") == null) {
                System.setProperty("java.rmi.server.hostname", settings.remoteHost());
            }
            registry = LocateRegistry.createRegistry(settings.remotePort(), null, sockets);
            JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(
                    new JMXServiceURL(settings.serviceUrl()),
                    Map.of(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, sockets),
                    ManagementFactory.getPlatformMBeanServer());
            server.start();
            log.info("JMX remote (no authentication, no TLS) at {}", settings.serviceUrl());
            return new JmxRemoteServer(server, registry, settings.serviceUrl());
        } catch (IOException | RuntimeException e) {
            if (registry != null) {
                unexport(registry);
            }
            // RMI wraps the reason ("Port already in use: 9010; nested exception is: java.net.BindException: ...")
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new MembershipException("cannot start JMX remote on " + where + " (shoal.jmx.remote.host/port): "
                    + root, e);
        }
    }

    public String serviceUrl() {
        return serviceUrl;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            log.debug("stopping JMX remote: {}", e.toString());
        }
        unexport(registry);
    }

    private static void unexport(Registry registry) {
        try {
            UnicastRemoteObject.unexportObject(registry, true);
        } catch (NoSuchObjectException e) {
            // already gone
        }
    }
}
