package dev.shoal.membership.jmx;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.rmi.server.RMIServerSocketFactory;

/**
 * RMI server sockets bound to one address instead of every interface. A record, so that two factories for the same
 * address are equal: RMI then shares one listening port between the registry and the connector server.
 */
record BoundServerSocketFactory(InetAddress address) implements RMIServerSocketFactory, Serializable {

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(address, port));
        return s;
    }
}
