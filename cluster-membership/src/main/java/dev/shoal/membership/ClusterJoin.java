package dev.shoal.membership;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.shoal.config.ClusterSettings;
import dev.shoal.membership.mdns.MdnsServiceDiscovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the node to a cluster, in this order of preference: the seed nodes of {@code pekko.cluster.seed-nodes}
 * (Pekko joins them by itself as the system starts); else, with {@code shoal.cluster.bootstrap.enabled}, Pekko
 * Management plus Cluster Bootstrap over a discovery method; else itself, a cluster of one.
 *
 * <p>Some of this is Pekko configuration that must be in place before the actor system starts (roles, bootstrap
 * settings): {@link #pekkoConfig} gives it, to lay over the node's configuration.
 */
public final class ClusterJoin {

    private static final Logger log = LoggerFactory.getLogger(ClusterJoin.class);

    static final String BOOTSTRAP = "pekko.management.cluster.bootstrap";
    static final String DISCOVERY_METHOD = BOOTSTRAP + ".contact-point-discovery.discovery-method";
    /** Bootstrap's own default for the method: "whatever pekko.discovery.method says". */
    private static final String FROM_PEKKO_DISCOVERY = "pekko.discovery";
    /** The method used when neither the bootstrap nor pekko.discovery names one. */
    public static final String DEFAULT_DISCOVERY_METHOD = "config";
    private static final Duration MANAGEMENT_BIND_TIMEOUT = Duration.ofSeconds(30);

    private ClusterJoin() {
    }

    /**
     * The Pekko settings that follow from {@code settings}, to lay over {@code config} (the node's whole
     * configuration) before the actor system is created: {@code overrides.withFallback(config)}.
     * <ul>
     *   <li>{@code pekko.cluster.roles}: those already configured, plus {@code shoal.cluster.roles}, plus the role
     *       carrying a configured node name ({@link NodeNames});</li>
     *   <li>bootstrap's {@code required-contact-point-nr} from {@code shoal.cluster.bootstrap.required-contact-points};
     *       {@code contact-point.filter-on-fallback-port = false}, without which nodes sharing a host each keep only
     *       the contact point on their own management port and never form a cluster (STACK.md P9);</li>
     *   <li>the discovery method {@value #DEFAULT_DISCOVERY_METHOD} when none is configured.</li>
     * </ul>
     */
    public static Config pekkoConfig(ClusterSettings settings, Config config) {
        Map<String, Object> o = new HashMap<>();
        List<String> roles = new ArrayList<>(config.hasPath("pekko.cluster.roles")
                ? config.getStringList("pekko.cluster.roles") : List.of());
        for (String r : settings.roles()) {
            if (!roles.contains(r)) {
                roles.add(r);
            }
        }
        NodeNames.role(settings).ifPresent(roles::add);
        o.put("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
        o.put(BOOTSTRAP + ".contact-point-discovery.required-contact-point-nr",
                settings.bootstrap().requiredContactPoints());
        o.put(BOOTSTRAP + ".contact-point.filter-on-fallback-port", false);
        o.put(DISCOVERY_METHOD, discoveryMethod(config));
        return ConfigFactory.parseMap(o, "shoal.cluster settings");
    }

    /** The discovery method bootstrap will use under {@code config}. */
    static String discoveryMethod(Config config) {
        String method = config.hasPath(DISCOVERY_METHOD) ? config.getString(DISCOVERY_METHOD) : FROM_PEKKO_DISCOVERY;
        if (method.equals(FROM_PEKKO_DISCOVERY)) {
            String pekko = config.hasPath("pekko.discovery.method") ? config.getString("pekko.discovery.method") : "";
            return pekko.isEmpty() || pekko.equals("<method>") ? DEFAULT_DISCOVERY_METHOD : pekko;
        }
        return method;
    }

    /**
     * Starts joining; returns at once for seed nodes and self-join, and once Pekko Management listens for bootstrap
     * (joining itself goes on in the background; watch the member's status).
     *
     * @param nodeName this node's name, announced by discovery methods that announce ({@code shoal-mdns})
     * @throws MembershipException when the management endpoint cannot listen
     */
    public static JoinMethod start(ActorSystem<?> system, ClusterSettings settings, String nodeName) {
        Config config = system.settings().config();
        Cluster cluster = Cluster.get(system);
        List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
        if (!seeds.isEmpty()) {
            if (settings.bootstrap().enabled()) {
                log.warn("shoal.cluster.bootstrap.enabled is ignored: pekko.cluster.seed-nodes are configured");
            }
            return new JoinMethod.SeedNodes(seeds);
        }
        if (!settings.bootstrap().enabled()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            return new JoinMethod.SelfJoin(cluster.selfMember().address().toString());
        }
        String method = config.getString(DISCOVERY_METHOD);
        String uri = startManagement(system);
        try {
            if (Discovery.get(system).loadServiceDiscovery(method) instanceof MdnsServiceDiscovery mdns) {
                // announce the endpoint bootstrap will probe: the management URI's host and port
                org.apache.pekko.http.javadsl.model.Uri u = org.apache.pekko.http.javadsl.model.Uri.create(uri);
                mdns.announce(nodeName, bootstrapServiceName(system), u.host().address(), u.port());
            }
            ClusterBootstrap.get(system).start();
        } catch (RuntimeException e) {
            throw new MembershipException("cannot start cluster bootstrap with discovery method " + method + " ("
                    + DISCOVERY_METHOD + "): " + oneLine(e), e);
        }
        log.info("cluster bootstrap: management at {}, discovery method {}", uri, method);
        return new JoinMethod.Bootstrap(method, uri);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static String startManagement(ActorSystem<?> system) {
        Config config = system.settings().config();
        String where = config.getString("pekko.management.http.hostname") + ":"
                + config.getString("pekko.management.http.port");
        try {
            return PekkoManagement.get(system).start().toCompletableFuture()
                    .get(MANAGEMENT_BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).toString();
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new MembershipException("cannot start Pekko Management on " + where + " (pekko.management.http.*): "
                    + oneLine(cause.getCause() != null ? cause.getCause() : cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MembershipException("interrupted while starting Pekko Management on " + where, e);
        }
    }

    /** The service name bootstrap looks up (its effective-name, else service-name[.namespace], else the system's). */
    static String bootstrapServiceName(ActorSystem<?> system) {
        return ClusterBootstrap.get(system).settings()
                .getContactPointDiscoveryEffectiveName(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    }
}
