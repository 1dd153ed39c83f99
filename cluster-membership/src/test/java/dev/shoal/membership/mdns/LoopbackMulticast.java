package dev.shoal.membership.mdns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Whether multicast datagrams sent on the loopback interface come back to this host, which mDNS tests on 127.0.0.1
 * need. Linux delivers them even though {@code lo} lacks the MULTICAST flag; other systems or sandboxes may not.
 * The probe uses a group and port of its own and never leaves the loopback interface.
 */
final class LoopbackMulticast {

    private LoopbackMulticast() {
    }

    static boolean works() {
        try {
            NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
            InetAddress group = InetAddress.getByName("239.255.77.77");
            try (MulticastSocket receiver = new MulticastSocket(0)) {
                int port = receiver.getLocalPort();
                receiver.joinGroup(new InetSocketAddress(group, port), lo);
                receiver.setSoTimeout(1000);
                try (MulticastSocket sender = new MulticastSocket(0)) {
                    sender.setNetworkInterface(lo);
                    sender.setTimeToLive(0);
                    byte[] m = "shoal-probe".getBytes(StandardCharsets.US_ASCII);
                    sender.send(new DatagramPacket(m, m.length, group, port));
                }
                DatagramPacket p = new DatagramPacket(new byte[64], 64);
                receiver.receive(p);
                return new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII).equals("shoal-probe");
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
