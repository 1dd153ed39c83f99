package dev.shoal.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.actors.ActorInferenceService;
import dev.shoal.actors.cluster.ClusterInferenceService;
import dev.shoal.actors.cluster.ClusterServices;
import dev.shoal.actors.cluster.NodeStatus;
import dev.shoal.actors.cluster.ShardHost;
import dev.shoal.http.ShoalMetrics;
import dev.shoal.transport.DriverSettings;
import dev.shoal.transport.IdleMode;
import dev.shoal.transport.SharedDriverId;
import dev.shoal.transport.TransportSettings;
import java.util.concurrent.atomic.AtomicReference;
import dev.shoal.config.NodeSettings;
import dev.shoal.http.HttpServer;
import dev.shoal.membership.Membership;
import dev.shoal.membership.MembershipException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: a Pekko Cluster member ({@link Membership}: seed nodes, cluster bootstrap, or joined to itself, a
 * cluster of one; its JMX beans), the inference service over its models, and the HTTP API. Shutdown (SIGTERM, or
 * {@link #stop}) runs Pekko's coordinated shutdown: the port unbinds, running requests get
 * {@code shoal.http.shutdown-deadline} to finish, the models close, the member leaves the cluster.
 */
public final class ShoalNode {

    private static final Logger log = LoggerFactory.getLogger(ShoalNode.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    /** Room after the HTTP drain deadline for the phase to wind down before Pekko gives up on it. */
    private static final Duration PHASE_MARGIN = Duration.ofSeconds(5);
    /** After the generations are done, how long responses still being written get before connections close. */
    private static final Duration CONNECTION_CLOSE_GRACE = Duration.ofSeconds(2);

    private final ActorSystem<Void> system;
    private final ActorInferenceService service;
    private final ServerBinding binding;
    private final NodeSettings settings;
    private final Membership membership;

    private ShoalNode(ActorSystem<Void> system, ActorInferenceService service, ServerBinding binding,
                      NodeSettings settings, Membership membership) {
        this.system = system;
        this.service = service;
        this.binding = binding;
        this.settings = settings;
        this.membership = membership;
    }

    /**
     * Starts a node from {@code config}, whose {@code shoal.*} keys were already parsed into {@code settings}.
     *
     * @throws NodeStartException when the HTTP port, the management or JMX port, or the data host cannot be used (the
     *                            actor system is stopped again)
     */
    public static ShoalNode start(Config config, NodeSettings settings) {
        Duration drain = settings.http().shutdownDeadline();
        Config shutdownPhases = ConfigFactory.parseMap(Map.of(
                "pekko.coordinated-shutdown.phases.service-requests-done.timeout",
                drain.plus(PHASE_MARGIN).toMillis() + " ms"));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "shoal",
                shutdownPhases.withFallback(Membership.pekkoConfig(settings, config)).withFallback(config));
        Cluster cluster = Cluster.get(system);
        ActorInferenceService service = ActorInferenceService.start(system, settings);
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "shoal-unload-models",
                service::stop);
        // the cluster runtime: this node's agent, its shard workers (slices of distributed models, on the node's
        // own Aeron driver), the placement coordinator singleton, and the service that routes every request
        IdleMode idle = IdleMode.valueOf(settings.cluster().idle().toUpperCase(java.util.Locale.ROOT));
        // adaptive is for the threads that wait inside a step; the driver's own duty cycle always finds a little
        // periodic work (heartbeats, status messages), so it would never leave its busy window: it backs off
        java.nio.file.Path sharedDir = settings.cluster().aeronDir().isEmpty() ? null
                : java.nio.file.Path.of(settings.cluster().aeronDir());
        // nodes of one host that name the same running driver talk over IPC (InstanceWiring.overIpc), so the
        // driver must run before the node starts: its id goes into the node's profile
        String dataDriver;
        try {
            dataDriver = sharedDir == null ? "" : SharedDriverId.read(sharedDir);
        } catch (IllegalStateException e) {
            terminate(system);
            throw new NodeStartException("shoal.cluster.aeron-dir: " + e.getMessage(), e);
        }
        NodeDriver driver = new NodeDriver(DriverSettings.defaults().withIdle(
                idle == IdleMode.ADAPTIVE ? IdleMode.BACKOFF : idle), sharedDir);
        system.getWhenTerminated().thenRun(driver::close);
        ShardHost shards = new ShardHost(settings.models().dir(), driver::aeron, settings.engine().threads(),
                TransportSettings.DEFAULT.withPeerTimeout(settings.cluster().peerTimeout()).withIdle(idle),
                settings.placement().loadTimeout(), settings.models().keepFetched());
        AtomicReference<Membership> joined = new AtomicReference<>();
        ClusterServices clusterServices = ClusterServices.start(system, service,
                () -> joined.get() == null ? null : joined.get().profile(), shards,
                settings.placement(), settings.engine().contextLength(), settings.engine().maxBatch(),
                settings.engine().maxQueue(), settings.models().loadTimeout(),
                settings.models().keepsForever() ? null : settings.models().keepAlive());
        ClusterInferenceService routed = clusterServices.service();
        String host = settings.http().host();
        int port = settings.http().port();
        ServerBinding binding;
        try {
            binding = HttpServer.start(system, routed, routed, new ShoalMetrics(), host, port).toCompletableFuture()
                    .get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            terminate(system);
            throw new NodeStartException("cannot listen on http://" + host + ":" + port + ": "
                    + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        }
        addShutdownTasks(system, routed, binding, drain);
        // cluster membership: joining (seed nodes, bootstrap or itself), JMX beans, remote JMX; ends with the system
        Membership membership;
        try {
            membership = Membership.start(system, settings, binding.localAddress().getPort(), dataDriver);
        } catch (MembershipException e) {
            terminate(system);
            throw new NodeStartException(e.getMessage(), e);
        }
        joined.set(membership);
        NodeStatus status = new NodeStatus(system, routed, service, shards);
        membership.statusSource(status);
        system.getWhenTerminated().thenRun(status::close);
        clusterServices.publish();
        log.info("cluster member {} (settings: {})", cluster.selfMember().address(),
                String.join("; ", settings.summary()));
        return new ShoalNode(system, service, binding, settings, membership);
    }

    /**
     * Unbind, then let generations finish (up to {@code drain}), then close the connections, then (service-stop)
     * the models. Pekko HTTP's own {@code terminate} waits for responses to start, not for streamed bodies to end,
     * so the wait for running generations is the service's.
     */
    private static void addShutdownTasks(ActorSystem<?> system, ClusterInferenceService service, ServerBinding binding,
                                         Duration drain) {
        CoordinatedShutdown cs = CoordinatedShutdown.get(system);
        cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "shoal-http-unbind", binding::unbind);
        cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "shoal-drain-generations", () -> {
            if (service.inFlight() > 0) {
                log.info("shutting down: waiting up to {} ms for {} generation(s) to finish", drain.toMillis(),
                        service.inFlight());
            }
            return service.drain(drain)
                    .thenCompose(done -> binding.terminate(CONNECTION_CLOSE_GRACE))
                    .thenApply(terminated -> Done.getInstance());
        });
    }

    private static void terminate(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            log.warn("the actor system did not stop cleanly: {}", e.toString());
        }
    }

    public InetSocketAddress httpAddress() {
        return binding.localAddress();
    }

    /** The node's own models (the local registry). */
    public ActorInferenceService service() {
        return service;
    }


    public ActorSystem<Void> system() {
        return system;
    }

    public NodeSettings settings() {
        return settings;
    }

    /** This node's cluster membership: its name, profile, JMX bean (give it a status source there). */
    public Membership membership() {
        return membership;
    }

    /** The line printed when the node is ready: the configured host (as the user wrote it) and the bound port. */
    public String readyLine() {
        String host = settings.http().host();
        return "shoal node ready: http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + httpAddress().getPort()
                + " (models: " + settings.models().dir() + ", " + service.models().size() + " found)";
    }

    /** Runs coordinated shutdown (what SIGTERM does); completes when the actor system has terminated. */
    public CompletionStage<Done> stop() {
        // runAll completes with its last phase's task, but getWhenTerminated() is a converted future whose
        // completion arrives through a callback of its own — CI saw stop() done while it was not yet; a caller of
        // stop() is promised a terminated system, so wait for that stage too.
        return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason())
                .thenCompose(done -> system.getWhenTerminated().thenApply(terminated -> done));
    }

    public CompletionStage<Done> whenTerminated() {
        return system.getWhenTerminated();
    }
}
