package dev.shoal.membership;

import com.typesafe.config.Config;
import dev.shoal.config.NodeSettings;
import dev.shoal.membership.jmx.JmxRemoteServer;
import dev.shoal.membership.jmx.NodeBean;
import java.lang.management.ManagementFactory;
import java.util.Hashtable;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's part in the cluster, for as long as its actor system runs: it has joined (seed nodes, bootstrap or itself,
 * see {@link ClusterJoin}), knows its name, data port and {@link #profile()}, and shows itself in JMX as
 * {@code dev.shoal:type=Node,name=NODE} (beside Pekko's own {@code pekko:type=Cluster}), over a remote JMX connector
 * too when {@code shoal.jmx.remote.enabled}. Everything it started stops when the actor system terminates, or on
 * {@link #close()}.
 *
 * <pre>{@code
 * ActorSystem<Void> system = ActorSystem.create(behavior, "shoal",
 *         Membership.pekkoConfig(settings, config).withFallback(config));
 * Membership membership = Membership.start(system, settings, httpPort);
 * }</pre>
 */
public final class Membership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Membership.class);
    public static final String JMX_DOMAIN = "dev.shoal";

    private final ActorSystem<?> system;
    private final NodeSettings settings;
    private final String nodeName;
    private final int dataPort;
    private final String dataDriver;
    private final String httpBaseUrl;
    private final ObjectName objectName;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Whether this object registered the bean: a failed start must not unregister another node's bean. */
    private volatile boolean registered;
    private volatile JoinMethod joinMethod;
    private volatile JmxRemoteServer jmxServer;
    private volatile NodeStatusSource status = NodeStatusSource.none();

    private Membership(ActorSystem<?> system, NodeSettings settings, String nodeName, int dataPort,
                       String httpBaseUrl, String dataDriver) {
        this.system = system;
        this.dataDriver = dataDriver;
        this.settings = settings;
        this.nodeName = nodeName;
        this.dataPort = dataPort;
        this.httpBaseUrl = httpBaseUrl;
        this.objectName = objectName(nodeName);
    }

    /**
     * The Pekko settings that follow from {@code shoal.cluster} (roles, bootstrap), to lay over {@code config} before
     * the actor system is created; see {@link ClusterJoin#pekkoConfig}.
     */
    public static Config pekkoConfig(NodeSettings settings, Config config) {
        return ClusterJoin.pekkoConfig(settings.cluster(), config);
    }

    /**
     * Joins, registers the JMX bean, starts remote JMX when configured, and ties all of it to the system's lifetime.
     *
     * @param system   created with {@link #pekkoConfig} laid over its configuration
     * @param httpPort the port the node's HTTP API listens on (for {@link NodeProfile#httpBaseUrl})
     * @throws MembershipException when a port or address cannot be used (nothing started stays running)
     */
    public static Membership start(ActorSystem<?> system, NodeSettings settings, int httpPort) {
        return start(system, settings, httpPort, "");
    }

    /**
     * As {@link #start(ActorSystem, NodeSettings, int)}, for a node whose data plane uses the host's shared media
     * driver {@code dataDriver} (its {@code SharedDriverId}; empty for a driver of its own).
     */
    public static Membership start(ActorSystem<?> system, NodeSettings settings, int httpPort, String dataDriver) {
        Address self = Cluster.get(system).selfMember().address();
        String name = NodeNames.self(settings.cluster(), self);
        Membership m = new Membership(system, settings, name, DataPort.resolve(settings.cluster()),
                httpBaseUrl(settings.http().host(), httpPort, self), dataDriver);
        try {
            m.registerBean();
            if (settings.jmx().remoteEnabled()) {
                m.jmxServer = JmxRemoteServer.start(settings.jmx());
            }
            m.joinMethod = ClusterJoin.start(system, settings.cluster(), name);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        // coordinated shutdown (SIGTERM, terminate(), being downed) runs this before the system is gone, so that the
        // bean never outlives it; the callback covers a system stopped some other way
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "shoal-membership-close", () -> {
                    m.close();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        system.getWhenTerminated().thenRun(m::close);
        log.info("node {}: {}, data port {}, JMX {}{}", name, m.joinMethod, m.dataPort, m.objectName,
                m.jmxServer == null ? "" : " at " + m.jmxServer.serviceUrl());
        return m;
    }

    /** Where other nodes reach the HTTP API: the configured host, or the Pekko host when that is a wildcard. */
    static String httpBaseUrl(String host, int port, Address self) {
        String h = host;
        if (h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]") || h.equals("::0")) {
            h = self.getHost().orElse("127.0.0.1");
        }
        if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return "http://" + h + ":" + port;
    }

    /** {@code dev.shoal:type=Node,name=NODE}, the name quoted when it holds characters ObjectName reserves. */
    public static ObjectName objectName(String nodeName) {
        Hashtable<String, String> keys = new Hashtable<>();
        keys.put("type", "Node");
        keys.put("name", nodeName.matches("[A-Za-z0-9._-]+") ? nodeName : ObjectName.quote(nodeName));
        try {
            return new ObjectName(JMX_DOMAIN, keys);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("node name " + nodeName + " cannot be a JMX key property", e);
        }
    }

    private void registerBean() {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        try {
            mbs.registerMBean(new NodeBean(nodeName, system, () -> status), objectName);
            registered = true;
        } catch (InstanceAlreadyExistsException e) {
            throw new MembershipException("a node named " + nodeName + " already runs in this JVM (" + objectName
                    + " is registered); give each node its own shoal.cluster.node-name", e);
        } catch (JMException e) {
            throw new MembershipException("cannot register " + objectName + ": " + e.getMessage(), e);
        }
    }

    public String nodeName() {
        return nodeName;
    }

    /** How this node joined; null only while {@link #start} runs. */
    public JoinMethod joinMethod() {
        return joinMethod;
    }

    public int dataPort() {
        return dataPort;
    }

    public String httpBaseUrl() {
        return httpBaseUrl;
    }

    public ObjectName objectName() {
        return objectName;
    }

    /** The remote JMX URL, when {@code shoal.jmx.remote.enabled}. */
    public Optional<String> jmxServiceUrl() {
        JmxRemoteServer s = jmxServer;
        return s == null ? Optional.empty() : Optional.of(s.serviceUrl());
    }

    /** This node's profile now: the models directory is listed and the used bytes asked for at each call. */
    public NodeProfile profile() {
        return NodeProfile.local(settings, nodeName, Cluster.get(system).selfMember().address().toString(), dataPort,
                httpBaseUrl, status.usedBytes(), dataDriver);
    }

    /** What the JMX bean shows besides membership, from now on; until set, {@link NodeStatusSource#none()}. */
    public void statusSource(NodeStatusSource source) {
        this.status = Objects.requireNonNull(source, "source");
    }

    public NodeStatusSource statusSource() {
        return status;
    }

    /**
     * Unregisters the bean and stops remote JMX; the cluster membership itself ends with the actor system (coordinated
     * shutdown leaves the cluster). Idempotent; also run when the actor system terminates.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        JmxRemoteServer s = jmxServer;
        if (s != null) {
            s.close();
        }
        if (!registered) {
            return;
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException e) {
            log.debug("unregistering {}: {}", objectName, e.toString());
        }
    }
}
