package dev.shoal.membership;

import dev.shoal.config.ClusterSettings;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;

/**
 * The node's Aeron UDP data port: the configured one, or for 0 a port that is free now. The Aeron driver binds it
 * later; a port picked here is announced in the node's profile before that, which is why it is picked at start and
 * not left to the driver.
 */
final class DataPort {

    private DataPort() {
    }

    static int resolve(ClusterSettings settings) {
        if (settings.dataPort() != 0) {
            return settings.dataPort();
        }
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(settings.dataHost(), 0))) {
            return probe.getLocalPort();
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            throw new MembershipException("shoal.cluster.data-host = " + settings.dataHost()
                    + ": cannot pick a free UDP data port on it (" + e.getMessage()
                    + "); it must be an address of this machine", e);
        }
    }
}
