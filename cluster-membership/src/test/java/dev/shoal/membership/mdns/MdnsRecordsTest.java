package dev.shoal.membership.mdns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.jmdns.ServiceInfo;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.junit.jupiter.api.Test;

/** What a node announces and how an answer becomes Pekko's contact points, without the network. */
class MdnsRecordsTest {

    private static final MdnsPeer A = new MdnsPeer("node-a", "shoal", "10.0.0.5", 7626);

    @Test
    void anAnnouncementShouldReadBackAsTheSamePeer() {
        ServiceInfo info = MdnsRecords.announcement(A);
        assertEquals("_shoal._tcp.local.", info.getType());
        assertEquals("node-a", info.getName());
        assertEquals(7626, info.getPort());
        assertEquals(Optional.of(A), MdnsRecords.peer(info, "shoal"));
    }

    @Test
    void anInstanceOfAnotherClusterShouldBeIgnored() {
        assertEquals(Optional.empty(), MdnsRecords.peer(MdnsRecords.announcement(A), "other-cluster"));
        ServiceInfo foreign = ServiceInfo.create("_shoal._tcp.local.", "x", 7626, 0, 0, Map.of("unrelated", "1"));
        assertEquals(Optional.empty(), MdnsRecords.peer(foreign, "shoal"));
    }

    @Test
    void lookupAnswersShouldListEachEndpointOnceInAStableOrderWithAddressesForLiterals() {
        MdnsPeer b = new MdnsPeer("node-b", "shoal", "10.0.0.4", 7626);
        MdnsPeer named = new MdnsPeer("node-c", "shoal", "gpu-box.local", 7627);
        MdnsPeer other = new MdnsPeer("node-d", "elsewhere", "10.0.0.9", 7626);
        MdnsPeer aAgain = new MdnsPeer("node-a (2)", "shoal", "10.0.0.5", 7626);
        ServiceDiscovery.Resolved r = MdnsRecords.resolved("shoal", List.of(A, b, named, other, aAgain));
        assertEquals("shoal", r.serviceName());
        List<ServiceDiscovery.ResolvedTarget> t = r.getAddresses();
        assertEquals(List.of("10.0.0.4", "10.0.0.5", "gpu-box.local"), t.stream().map(x -> x.host()).toList());
        assertEquals(List.of(7626, 7626, 7627), t.stream().map(x -> x.getPort().orElseThrow()).toList());
        assertEquals(Optional.of(InetAddress.ofLiteral("10.0.0.4")), t.get(0).getAddress());
        assertTrue(t.get(2).getAddress().isEmpty(), "a host name is left for bootstrap to resolve");
    }
}
