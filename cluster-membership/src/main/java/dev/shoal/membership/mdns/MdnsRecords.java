package dev.shoal.membership.mdns;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.jmdns.ServiceInfo;
import org.apache.pekko.discovery.ServiceDiscovery;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The mapping between a Shoal node's management endpoint and its mDNS records, kept apart from the network so that it
 * can be checked without multicast. A node is one instance of the DNS-SD type {@value #SERVICE_TYPE}; its TXT
 * record names the bootstrap service (the cluster) and the host to probe, so a peer needs no A-record lookup and an
 * instance of another cluster on the same LAN is ignored.
 */
final class MdnsRecords {

    static final String SERVICE_TYPE = "_shoal._tcp.local.";
    static final String SERVICE_KEY = "service";
    static final String HOST_KEY = "host";

    private MdnsRecords() {
    }

    static ServiceInfo announcement(MdnsPeer self) {
        return ServiceInfo.create(SERVICE_TYPE, self.instance(), self.port(), 0, 0,
                Map.of(SERVICE_KEY, self.service(), HOST_KEY, self.host()));
    }

    /** The peer an answer describes, when it belongs to {@code service} and names a port. */
    static Optional<MdnsPeer> peer(ServiceInfo info, String service) {
        if (!service.equals(info.getPropertyString(SERVICE_KEY)) || info.getPort() <= 0) {
            return Optional.empty();
        }
        String host = info.getPropertyString(HOST_KEY);
        if (host == null || host.isBlank()) {
            InetAddress[] addresses = info.getInetAddresses();
            if (addresses.length == 0) {
                return Optional.empty();
            }
            host = addresses[0].getHostAddress();
        }
        return Optional.of(new MdnsPeer(info.getName(), service, host, info.getPort()));
    }

    /** Pekko's answer to a lookup: each distinct host:port once, in a stable order. */
    static ServiceDiscovery.Resolved resolved(String service, Collection<MdnsPeer> peers) {
        List<ServiceDiscovery.ResolvedTarget> targets = peers.stream()
                .filter(p -> p.service().equals(service))
                .map(p -> p.host() + "\u0000" + p.port())
                .distinct()
                .sorted(Comparator.naturalOrder())
                .map(key -> {
                    int cut = key.indexOf('\u0000');
                    return target(key.substring(0, cut), Integer.parseInt(key.substring(cut + 1)));
                })
                .toList();
        return new ServiceDiscovery.Resolved(service, CollectionConverters.asScala(targets).toList());
    }

    private static ServiceDiscovery.ResolvedTarget target(String host, int port) {
        // bootstrap prefers the IP address when there is one; give it for literals only, never by resolving a name
        Option<InetAddress> address;
        try {
            address = Option.apply(InetAddress.ofLiteral(host));
        } catch (IllegalArgumentException notALiteral) {
            address = Option.empty();
        }
        return new ServiceDiscovery.ResolvedTarget(host, Option.apply((Object) port), address);
    }
}
