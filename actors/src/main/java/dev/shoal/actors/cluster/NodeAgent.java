package dev.shoal.actors.cluster;

import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.membership.NodeProfile;
import dev.shoal.transport.Endpoint;
import dev.shoal.transport.LinkMeasurement;
import dev.shoal.transport.LinkProbe;
import dev.shoal.transport.LinkProbeResponder;
import dev.shoal.transport.ProbePlan;
import java.time.Duration;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node as the rest of the cluster sees it, registered with the receptionist: it tells its {@link NodeProfile}
 * (what the planner may use here), runs whole-model generations for requests routed to this node's replica from
 * another node (streaming their events back as {@link StreamEvent}s), and measures links for the placement
 * coordinator: the prober asks the peer's agent for a {@link LinkProbeResponder} on the peer's data port, runs a
 * {@link LinkProbe} against it (round trips of 64 bytes, a one-way run of 64 KiB messages, about 10 MiB) and
 * reports the figures.
 */
public final class NodeAgent extends AbstractBehavior<NodeAgent.Command> {

    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "shoal-node");

    public sealed interface Command {
    }

    public record GetProfile(ActorRef<ProfileReply> replyTo) implements Command, ClusterMessage {
    }

    public record ProfileReply(NodeProfile profile, ActorRef<Command> agent) implements ClusterMessage {
    }

    /** Run {@code job} on this node's own copy of the model. */
    public record RunLocal(GenerationJob job, ActorRef<StreamEvent> replyTo) implements Command, ClusterMessage {
    }

    public record CancelLocal(ActorRef<StreamEvent> stream) implements Command, ClusterMessage {
    }

    private record Ended(ActorRef<StreamEvent> stream) implements Command {
    }

    /** Register with the receptionist: the node's profile is complete (it has joined, its ports are known). */
    public enum Publish implements Command { INSTANCE }

    /** Measure the link from this node to {@code peer} (whose agent is {@code peerAgent}); report to {@code replyTo}. */
    public record ProbeLink(int probeId, NodeProfile peer, ActorRef<Command> peerAgent,
                            ActorRef<LinkResult> replyTo) implements Command, ClusterMessage {
    }

    /** Run a link-probe responder for {@code probeId}, replying to the prober's data address. */
    public record StartResponder(int probeId, String replyHost, int replyPort, ActorRef<ResponderReady> replyTo)
            implements Command, ClusterMessage {
    }

    /** The responder runs ({@code error} null) or could not start. */
    public record ResponderReady(int probeId, String error) implements ClusterMessage {
    }

    public record StopResponder(int probeId) implements Command, ClusterMessage {
    }

    /** A link measured from {@code from} to {@code to}, or why not ({@code error} non-null). */
    public record LinkResult(int probeId, String from, String to, double roundTripMicros, double bytesPerSecond,
                             String error) implements ClusterMessage {
    }

    private record Measured(ProbeLink probe, LinkMeasurement measurement, Throwable failure) implements Command {
    }

    private record PeerReady(ProbeLink probe, ResponderReady ready, Throwable failure) implements Command {
    }

    /**
     * Link probes use stream ids below the step plane's (2^20): the prober listens on {@code PROBE_STREAM + id},
     * the responder on {@code RESPONDER_STREAM + id}; the coordinator runs one probe at a time.
     */
    static final int PROBE_STREAM = 5000;
    static final int RESPONDER_STREAM = 6000;
    private static final ProbePlan PLAN = new ProbePlan(50, 300, 64, 160, 64 * 1024);

    private final Supplier<NodeProfile> profile;
    private final InferenceService local;
    private final ShardHost host;
    private final Executor blocking;
    private final Map<ActorRef<StreamEvent>, GenerationHandle> running = new HashMap<>();
    private final Map<Integer, AgentRunner> responders = new HashMap<>();

    public static Behavior<Command> create(Supplier<NodeProfile> profile, InferenceService local, ShardHost host) {
        return Behaviors.setup(context -> new NodeAgent(context, profile, local, host));
    }

    private NodeAgent(ActorContext<Command> context, Supplier<NodeProfile> profile, InferenceService local,
                      ShardHost host) {
        super(context);
        this.profile = profile;
        this.local = local;
        this.host = host;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetProfile.class, g -> {
                    NodeProfile p = profile.get();
                    // null until the node has joined; the coordinator asks again once the agent is published
                    if (p != null) {
                        g.replyTo().tell(new ProfileReply(p, getContext().getSelf()));
                    }
                    return this;
                })
                .onMessage(Publish.class, p -> {
                    getContext().getSystem().receptionist().tell(Receptionist.register(KEY, getContext().getSelf()));
                    return this;
                })
                .onMessage(RunLocal.class, this::onRunLocal)
                .onMessage(ProbeLink.class, this::onProbeLink)
                .onMessage(PeerReady.class, this::onPeerReady)
                .onMessage(Measured.class, this::onMeasured)
                .onMessage(StartResponder.class, this::onStartResponder)
                .onMessage(StopResponder.class, s -> {
                    AgentRunner r = responders.remove(s.probeId());
                    if (r != null) {
                        CloseHelper.quietClose(r);
                    }
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    responders.values().forEach(CloseHelper::quietClose);
                    return this;
                })
                .onMessage(CancelLocal.class, c -> {
                    GenerationHandle h = running.get(c.stream());
                    if (h != null) {
                        h.cancel();
                    }
                    return this;
                })
                .onMessage(Ended.class, e -> {
                    running.remove(e.stream());
                    return this;
                })
                .build();
    }

    private Behavior<Command> onProbeLink(ProbeLink p) {
        NodeProfile me = profile.get();
        if (me == null) {
            p.replyTo().tell(new LinkResult(p.probeId(), "?", p.peer().nodeName(), 0, 0, "this node has not joined"));
            return this;
        }
        getContext().ask(ResponderReady.class, p.peerAgent(), Duration.ofSeconds(10),
                replyTo -> new StartResponder(p.probeId(), me.dataHost(), me.dataPort(), replyTo),
                (ready, failure) -> new PeerReady(p, ready, failure));
        return this;
    }

    private Behavior<Command> onPeerReady(PeerReady r) {
        ProbeLink p = r.probe();
        NodeProfile me = profile.get();
        if (r.failure() != null || r.ready().error() != null) {
            String why = r.failure() != null ? r.failure().toString() : r.ready().error();
            p.replyTo().tell(new LinkResult(p.probeId(), me.nodeName(), p.peer().nodeName(), 0, 0, why));
            return this;
        }
        Endpoint listen = new Endpoint.Udp(me.dataHost(), me.dataPort(), PROBE_STREAM + p.probeId());
        Endpoint remote = new Endpoint.Udp(p.peer().dataHost(), p.peer().dataPort(),
                RESPONDER_STREAM + p.probeId());
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try (LinkProbe probe = new LinkProbe(host.aeron().get(), listen, remote, host.transport())) {
                probe.awaitConnected(Duration.ofSeconds(5));
                return probe.measure(PLAN);
            }
        }, blocking), (m, failure) -> new Measured(p, m, failure));
        return this;
    }

    private Behavior<Command> onMeasured(Measured m) {
        ProbeLink p = m.probe();
        p.peerAgent().tell(new StopResponder(p.probeId()));
        String me = profile.get().nodeName();
        if (m.failure() != null) {
            Throwable c = m.failure().getCause() != null ? m.failure().getCause() : m.failure();
            p.replyTo().tell(new LinkResult(p.probeId(), me, p.peer().nodeName(), 0, 0, c.toString()));
        } else {
            p.replyTo().tell(new LinkResult(p.probeId(), me, p.peer().nodeName(), m.measurement().latencyMicros(),
                    m.measurement().bandwidthBytesPerSecond(), null));
        }
        return this;
    }

    private Behavior<Command> onStartResponder(StartResponder s) {
        NodeProfile me = profile.get();
        try {
            Endpoint listen = new Endpoint.Udp(me.dataHost(), me.dataPort(), RESPONDER_STREAM + s.probeId());
            Endpoint replyTo = new Endpoint.Udp(s.replyHost(), s.replyPort(), PROBE_STREAM + s.probeId());
            AgentRunner old = responders.put(s.probeId(),
                    LinkProbeResponder.start(host.aeron().get(), listen, replyTo, host.transport().idle()));
            if (old != null) {
                CloseHelper.quietClose(old);
            }
            s.replyTo().tell(new ResponderReady(s.probeId(), null));
        } catch (RuntimeException e) {
            s.replyTo().tell(new ResponderReady(s.probeId(), e.toString()));
        }
        return this;
    }

    private Behavior<Command> onRunLocal(RunLocal r) {
        ActorRef<Command> self = getContext().getSelf();
        ActorRef<StreamEvent> to = r.replyTo();
        running.put(to, local.submit(r.job(), new EventForwarder(to, () -> self.tell(new Ended(to)))));
        return this;
    }
}
