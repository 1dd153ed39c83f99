package dev.shoal.membership.mdns;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceEvent;
import javax.jmdns.ServiceInfo;
import javax.jmdns.ServiceListener;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.discovery.Lookup;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko discovery over multicast DNS (jmdns), for clusters on one LAN with nothing configured: each node announces its
 * Pekko Management endpoint as an instance of {@code _shoal._tcp.local.} and lists the instances of the others.
 * Selected with {@code pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method = shoal-mdns}
 * ({@code pekko.discovery.shoal-mdns.class} names this class; Pekko creates one per actor system).
 *
 * <p>The answers are collected as they arrive (a jmdns listener), so a lookup returns what is known at once and never
 * waits: bootstrap looks up every second and forms a cluster only once the answer has stayed the same for its
 * stable margin. The node's own announcement is always part of the answer, as bootstrap requires. mDNS packets go
 * out on one interface only, the one of {@code pekko.discovery.shoal-mdns.bind-hostname} (by default the management
 * hostname), with the TTL multicast DNS prescribes: they stay on the local link.
 */
public final class MdnsServiceDiscovery extends ServiceDiscovery {

    private static final Logger log = LoggerFactory.getLogger(MdnsServiceDiscovery.class);

    private final JmDNS jmdns;
    /** Resolved instances by mDNS name, as the listener learns and forgets them. */
    private final Map<String, ServiceInfo> seen = new ConcurrentHashMap<>();
    private final Listener listener = new Listener();
    private final Thread requery;
    private volatile MdnsPeer self;
    private final AtomicBoolean closed = new AtomicBoolean();

    public MdnsServiceDiscovery(ExtendedActorSystem system) {
        Config config = system.settings().config();
        InetAddress bind = bindAddress(config);
        try {
            jmdns = JmDNS.create(bind, "shoal-" + Long.toHexString(System.nanoTime() ^ ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new IllegalStateException("mDNS cannot start on " + bind.getHostAddress()
                    + " (pekko.discovery.shoal-mdns.bind-hostname): " + e.getMessage(), e);
        }
        jmdns.addServiceListener(MdnsRecords.SERVICE_TYPE, listener);
        long maxInterval = config.getDuration("pekko.discovery.shoal-mdns.requery-max-interval").toMillis();
        if (maxInterval < 1000) {
            throw new IllegalStateException("pekko.discovery.shoal-mdns.requery-max-interval must be at least 1s, got "
                    + maxInterval + " ms");
        }
        requery = Thread.ofVirtual().name("shoal-mdns-requery").start(() -> requery(maxInterval));
        system.registerOnTermination(this::close);
        log.info("mDNS discovery on {} for {}", bind.getHostAddress(), MdnsRecords.SERVICE_TYPE);
    }

    private static InetAddress bindAddress(Config config) {
        String host = config.getString("pekko.discovery.shoal-mdns.bind-hostname");
        if (host.isBlank()) {
            host = config.getString("pekko.management.http.hostname");
        }
        try {
            // Pekko Management's own rule for an unset hostname: this machine's address
            return host.isBlank() || host.equals("<hostname>") ? InetAddress.getLocalHost()
                    : InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("mDNS cannot bind to " + host
                    + " (pekko.discovery.shoal-mdns.bind-hostname or pekko.management.http.hostname): unknown host", e);
        }
    }

    /**
     * Announces this node's management endpoint under {@code service} (the bootstrap service name). Registration
     * (probing for a unique name, then announcing) takes a few seconds and runs in the background; the node's own
     * entry is part of every lookup from now on.
     */
    public void announce(String instance, String service, String host, int port) {
        MdnsPeer me = new MdnsPeer(instance, service, host, port);
        self = me;
        Thread.ofVirtual().name("shoal-mdns-announce").start(() -> {
            try {
                jmdns.registerService(MdnsRecords.announcement(me));
            } catch (IOException | RuntimeException e) {
                if (!closed.get()) {
                    log.warn("mDNS announcement of {} at {}:{} failed: {}", instance, host, port, e.toString());
                }
            }
        });
    }

    /** Every peer known now for {@code service}, this node included once it has announced. */
    public List<MdnsPeer> peers(String service) {
        List<MdnsPeer> out = new ArrayList<>();
        for (ServiceInfo info : seen.values()) {
            MdnsRecords.peer(info, service).ifPresent(out::add);
        }
        MdnsPeer me = self;
        if (me != null && me.service().equals(service)) {
            out.add(me);
        }
        return out;
    }

    @Override
    public Future<Resolved> lookup(Lookup lookup, FiniteDuration resolveTimeout) {
        return Future.successful(MdnsRecords.resolved(lookup.serviceName(), peers(lookup.serviceName())));
    }

    /**
     * Withdraws the announcement (goodbye packets, so peers forget this node at once) and leaves the multicast group;
     * also run when the actor system terminates. jmdns takes seconds for this, so it runs in the background rather
     * than hold up the actor system's termination.
     */
    public void close() {
        if (closed.compareAndSet(false, true)) {
            requery.interrupt();
            Thread.ofVirtual().name("shoal-mdns-close").start(() -> {
                try {
                    jmdns.close();
                } catch (IOException | RuntimeException e) {
                    log.debug("closing mDNS: {}", e.toString());
                }
            });
        }
    }

    /**
     * Continuous querying (RFC 6762 §5.2): jmdns's resolver asks for the service type three times when the listener
     * is added and then stops, so an announcement missed while this node was starting (seen on a loaded machine: one
     * node of two never learned of the other, and bootstrap waited for ever) would stay missed. Re-adding the
     * listener asks again and re-requests every known instance's records; the pauses double from 1 s up to
     * {@code maxInterval}.
     */
    private void requery(long maxInterval) {
        long pause = 1000;
        while (!closed.get()) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            if (closed.get()) {
                return;
            }
            try {
                jmdns.removeServiceListener(MdnsRecords.SERVICE_TYPE, listener);
                jmdns.addServiceListener(MdnsRecords.SERVICE_TYPE, listener);
            } catch (RuntimeException e) {
                log.debug("mDNS re-query: {}", e.toString());
            }
            pause = Math.min(2 * pause, maxInterval);
        }
    }

    private final class Listener implements ServiceListener {
        @Override
        public void serviceAdded(ServiceEvent event) {
            // an instance's name is known; ask for its SRV/TXT/A records (the answer comes as serviceResolved)
            jmdns.requestServiceInfo(event.getType(), event.getName());
        }

        @Override
        public void serviceRemoved(ServiceEvent event) {
            seen.remove(event.getName());
        }

        @Override
        public void serviceResolved(ServiceEvent event) {
            if (event.getInfo() != null && event.getInfo().hasData()) {
                seen.put(event.getName(), event.getInfo());
            }
        }
    }
}
