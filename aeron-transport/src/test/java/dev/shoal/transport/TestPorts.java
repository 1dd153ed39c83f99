package dev.shoal.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Free UDP ports on 127.0.0.1, found by binding port 0 (all held open together so they are distinct). */
public final class TestPorts {

    private TestPorts() {
    }

    public static int[] freeUdpPorts(final int count) {
        final DatagramSocket[] sockets = new DatagramSocket[count];
        try {
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (final DatagramSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }
}
