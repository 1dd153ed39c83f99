package dev.shoal.actors.cluster;

import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.config.PlacementSettings;
import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.Assignment;
import dev.shoal.sharding.Link;
import dev.shoal.sharding.LinkMatrix;
import dev.shoal.sharding.ManualPlacement;
import dev.shoal.sharding.Pin;
import dev.shoal.sharding.ModelShape;
import dev.shoal.sharding.NodeCapability;
import dev.shoal.sharding.NodeId;
import dev.shoal.sharding.Placement;
import dev.shoal.sharding.PlacementMode;
import dev.shoal.sharding.PlacementRequest;
import dev.shoal.sharding.PlanDiff;
import dev.shoal.sharding.Planner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The cluster singleton that decides where models run. It knows every node's {@link NodeProfile} (from the
 * {@link NodeAgent}s the receptionist lists) and which members are unreachable; for a request it plans with the
 * pure {@link Planner} and either routes to a replica (least in-flight requests first) or builds a distributed
 * instance: one {@link ShardWorker} entity per position, put on its node by external shard allocation, loaded, then
 * connected over Aeron, then serving through its supervisor.
 *
 * <p>Membership changes: a change marks every placement as planned on old membership; the next request for an idle
 * model (nothing in flight) re-plans, and {@link PlanDiff} decides whether to move — so a better plan is adopted
 * between requests, never under one. An instance that lost a peer ({@link InstanceBroken}) is torn down; requests
 * wait until membership says which node is gone (or the settle timeout passes) and are then placed afresh on the
 * reachable nodes. In-flight requests replay themselves ({@link RemoteStream}).
 */
public final class PlacementCoordinator extends AbstractBehavior<PlacementCoordinator.Command> {

    public sealed interface Command {
    }

    /**
     * Where does a request for {@code model} run? {@code from} is the asking node's agent; {@code keepAlive} is the
     * request's own (Ollama {@code keep_alive}: how long a distributed instance stays loaded once idle; zero
     * unloads it when the request ends, negative or null-for-default as for a whole model).
     */
    public record Route(String model, String fileName, ModelShape shape, Duration keepAlive,
                        ActorRef<NodeAgent.Command> from,
                        ActorRef<RouteReply> replyTo) implements Command, ClusterMessage {
    }

    /** A routed request ended (see {@link RouteReply}'s route keys). */
    public record Released(String routeKey) implements Command, ClusterMessage {
    }

    public record ShardLoaded(String instanceId, int position, ActorRef<ShardWorker.Command> worker, long bytes)
            implements Command, ClusterMessage {
    }

    public record ShardFailed(String instanceId, int position, String reason) implements Command, ClusterMessage {
    }

    /**
     * A worker fetching its slice from another node has {@code fetchedBytes} of it so far: the placement is making
     * progress, so its load timeout starts again (a big slice over a slow link may take longer than the timeout).
     */
    public record ShardProgress(String instanceId, int position, long fetchedBytes)
            implements Command, ClusterMessage {
    }

    public record ShardConnected(String instanceId, int position) implements Command, ClusterMessage {
    }

    /** A position lost a peer (Aeron timed out): the instance cannot step any more. */
    public record InstanceBroken(String instanceId, String reason) implements Command, ClusterMessage {
    }

    public record GetInstances(ActorRef<Instances> replyTo) implements Command, ClusterMessage {
    }

    /** The placements and the profiles of the nodes the coordinator knows. */
    public record Instances(List<ClusterState.Instance> instances, List<NodeProfile> nodes,
                            List<ClusterState.Link> links) implements ClusterMessage {
    }

    /** What placing a model would do now; {@code mode} null means the configured one. */
    public record Preview(String model, String fileName, ModelShape shape, String mode,
                          ActorRef<PlacementPreview> replyTo) implements Command, ClusterMessage {
    }

    private record AgentsListed(Set<ActorRef<NodeAgent.Command>> agents) implements Command {
    }

    private record ProfileArrived(NodeAgent.ProfileReply reply) implements Command {
    }

    private record Reachability(String address, boolean reachable) implements Command {
    }

    private record LocationsSet(String instanceId, Throwable failure) implements Command {
    }

    /** The shard regions the shard coordinator knows now (their nodes can host entities). */
    private record RegionsKnown(java.util.Set<org.apache.pekko.actor.Address> regions) implements Command {
    }

    private enum AskRegions implements Command { INSTANCE }

    /** The shard locations have had time to reach the allocation strategy's replica: load. */
    private record LocationsVisible(String instanceId) implements Command {
    }

    private record LoadTimedOut(String instanceId) implements Command {
    }

    private record SettleTimedOut(String instanceId) implements Command {
    }

    /** Time to measure every link again ({@code shoal.placement.link-reprobe-interval}). */
    private enum ReprobeLinks implements Command { INSTANCE }

    /** Time to see whether the queued link probes may run (they wait while the nodes are busy). */
    private enum ProbeWhenIdle implements Command { INSTANCE }

    /** The longest queued link probes wait for the nodes to be idle before they run anyway. */
    static final Duration PROBE_MAX_WAIT = Duration.ofSeconds(60);

    /** Is instance {@code instanceId} still idle, a keep-alive after it last became idle? */
    private record IdleCheck(String instanceId) implements Command {
    }

    /** Place {@code model} again for {@code routes} after a misplaced shard (attempt number {@code attempt}). */
    private record PlaceAgain(String model, List<Route> routes, int attempt) implements Command {
    }

    private record LinkMeasured(NodeAgent.LinkResult result) implements Command {
    }

    private record ProbeTimedOut(int probeId) implements Command {
    }

    public static final String INSTANCE_PREFIX = "instance:";
    public static final String NODE_PREFIX = "node:";

    private enum State { LOCATING, LOADING, CONNECTING, READY, BROKEN }

    /** One model's placement: replicas (served by each node's registry) or a distributed instance. */
    private static final class Placed {
        final String model;
        final String fileName;
        final ModelShape shape;
        final Placement.Plan plan;
        /** The membership version this placement was planned (or last confirmed) at. */
        long membership;
        final List<Route> waiting = new ArrayList<>();
        // replicas: in-flight requests per node name
        final Map<String, Integer> perNode = new LinkedHashMap<>();
        // distributed instance
        final String instanceId;
        /** Keeps the Aeron stream ids of concurrent instances apart. */
        final int number;
        final List<NodeProfile> positions;
        final List<ActorRef<ShardWorker.Command>> workers = new ArrayList<>();
        State state;
        /** The shard locations have been written (every node of the plan had a registered shard region). */
        boolean located;
        /** 1 for a first placement; more when a misplaced shard made the coordinator try again. */
        int attempt = 1;
        int loaded;
        int connected;
        int inFlight;
        /** The keep-alive of the latest request routed here; null = the coordinator's default. */
        Duration keepAlive;
        String detail;

        Placed(String model, String fileName, ModelShape shape, Placement.Plan plan, long membership,
               String instanceId, int number, List<NodeProfile> positions) {
            this.model = model;
            this.fileName = fileName;
            this.shape = shape;
            this.plan = plan;
            this.membership = membership;
            this.instanceId = instanceId;
            this.number = number;
            this.positions = positions;
            for (int i = 0; i < positions.size(); i++) {
                workers.add(null);
            }
            this.state = instanceId == null ? State.READY : State.LOCATING;
        }

        boolean distributed() {
            return instanceId != null;
        }

        int busy() {
            return distributed() ? inFlight : perNode.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private final PlacementSettings settings;
    private final Planner planner;
    private final int contextLength;
    private final int maxBatch;
    private final int maxQueue;
    /** How long a distributed instance stays loaded with nothing to do; null = for ever. */
    /** Timer key prefix of an instance's idle check. */
    private static final String IDLE_PREFIX = "idle-";
    /** Keep-alives beyond this mean "for ever" (Ollama's -1 arrives as a thousand years; timers cannot hold it). */
    private static final Duration LONGEST_IDLE_TIMER = Duration.ofDays(200);

    private final Duration keepAlive;
    private final TimerScheduler<Command> timers;
    private final Duration locationDelay;
    private final ClusterSharding sharding;
    private final ActorRef<NodeAgent.ProfileReply> profileAdapter;
    private final Map<ActorRef<NodeAgent.Command>, NodeProfile> profiles = new HashMap<>();
    private final Set<String> unreachable = new HashSet<>();
    private final Map<String, Placed> byModel = new HashMap<>();
    private final Map<String, Placed> byInstance = new HashMap<>();
    /** Measured links by pair ("a|b", names in order). */
    private final Map<String, ClusterState.Link> links = new java.util.TreeMap<>();
    /** Pairs of node names waiting to be probed, one probe at a time (probes share the nodes' cores and links). */
    private final java.util.ArrayDeque<String[]> probeQueue = new java.util.ArrayDeque<>();
    /** Since when queued probes have waited for idle nodes ({@code System.nanoTime()}), or -1. */
    private long probeWaitingSince = -1;
    private int probing = -1;
    private int probeCount;
    private final ActorRef<NodeAgent.LinkResult> linkAdapter;
    private final ActorRef<org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats> regionsAdapter;
    /** Requests from nodes whose profile has not arrived yet. */
    private final List<Route> awaitingProfile = new ArrayList<>();
    /** Models being placed again after a misplaced shard, with the attempt number. */
    private final Map<String, Integer> attempts = new HashMap<>();
    /** Placements of one request after misplaced shards: pauses of 0.5, 1, 1.5 ... s between them (~10 s in all). */
    private static final int MAX_PLACEMENT_ATTEMPTS = 7;
    /** What an unmeasured link counts as: fast. */
    private static final Link ASSUMED_LINK = new Link(50, 10_000_000_000L);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    /** Bumped whenever the set of usable nodes changes; a placement remembers the value it was planned at. */
    private long membership;
    /**
     * The last instance number handed out. It starts at a random point so that a coordinator taking over from one
     * that died does not reuse the numbers (Aeron stream ids) of instances that may still be closing.
     */
    private int instanceCount = java.util.concurrent.ThreadLocalRandom.current().nextInt(
            dev.shoal.transport.step.StreamIds.MAX_INSTANCES / 2);

    /**
     * @param contextLength tokens per sequence (capped by each model's trained context)
     * @param maxBatch      sequences a distributed instance decodes together
     * @param maxQueue      requests waiting per instance
     */
    public static Behavior<Command> create(PlacementSettings settings, Planner planner, int contextLength,
                                           int maxBatch, int maxQueue, Duration keepAlive) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new PlacementCoordinator(context, timers,
                settings, planner, contextLength, maxBatch, maxQueue, keepAlive)));
    }

    private PlacementCoordinator(ActorContext<Command> context, TimerScheduler<Command> timers,
                                 PlacementSettings settings, Planner planner, int contextLength, int maxBatch,
                                 int maxQueue, Duration keepAlive) {
        super(context);
        this.keepAlive = keepAlive;
        if (settings.linkReprobeInterval() != null) {
            timers.startTimerWithFixedDelay(ReprobeLinks.INSTANCE, settings.linkReprobeInterval());
        }
        this.timers = timers;
        this.settings = settings;
        this.planner = planner;
        this.contextLength = contextLength;
        this.maxBatch = maxBatch;
        this.maxQueue = maxQueue;
        this.sharding = ClusterSharding.get(context.getSystem());
        this.locationDelay = context.getSystem().settings().config()
                .getDuration("pekko.cluster.distributed-data.notify-subscribers-interval").multipliedBy(2)
                .plusMillis(100);
        this.profileAdapter = context.messageAdapter(NodeAgent.ProfileReply.class, ProfileArrived::new);
        this.linkAdapter = context.messageAdapter(NodeAgent.LinkResult.class, LinkMeasured::new);
        this.regionsAdapter = context.messageAdapter(
                org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats.class,
                stats -> new RegionsKnown(stats.getRegions().keySet()));
        ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class,
                l -> new AgentsListed(l.getServiceInstances(NodeAgent.KEY)));
        context.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.KEY, listings));
        ActorRef<ClusterEvent.ReachabilityEvent> reach = context.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                e -> new Reachability(e.member().address().toString(),
                        e instanceof ClusterEvent.ReachableMember));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(reach,
                ClusterEvent.ReachabilityEvent.class));
        context.getLog().info("placement coordinator started (mode {}, at most {} nodes per model, {} own entries)",
                settings.defaults().mode(), settings.defaults().maxNodes() == 0 ? "all" : settings.defaults().maxNodes(),
                settings.models().size());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Route.class, this::onRoute)
                .onMessage(Released.class, this::onReleased)
                .onMessage(ShardLoaded.class, this::onShardLoaded)
                .onMessage(ShardConnected.class, this::onShardConnected)
                .onMessage(ShardFailed.class, this::onShardFailed)
                .onMessage(ShardProgress.class, this::onShardProgress)
                .onMessage(LoadTimedOut.class, t -> {
                    Placed p = byInstance.get(t.instanceId());
                    return p != null && p.state != State.READY && p.state != State.BROKEN
                            ? failInstance(t.instanceId(), "not loaded and connected within "
                            + settings.loadTimeout().toSeconds() + " s") : this;
                })
                .onMessage(InstanceBroken.class, this::onInstanceBroken)
                .onMessage(SettleTimedOut.class, t -> settle())
                .onMessage(LocationsSet.class, this::onLocationsSet)
                .onMessage(RegionsKnown.class, this::onRegionsKnown)
                .onMessage(AskRegions.class, a -> {
                    askRegions();
                    return this;
                })
                .onMessage(LocationsVisible.class, this::onLocationsVisible)
                .onMessage(AgentsListed.class, this::onAgentsListed)
                .onMessage(ProfileArrived.class, this::onProfile)
                .onMessage(Reachability.class, this::onReachability)
                .onMessage(GetInstances.class, g -> {
                    g.replyTo().tell(new Instances(byModel.values().stream().map(this::describe).toList(),
                            List.copyOf(profiles.values()), List.copyOf(links.values())));
                    return this;
                })
                .onMessage(Preview.class, this::onPreview)
                .onMessage(IdleCheck.class, this::onIdleCheck)
                .onMessage(ReprobeLinks.class, r -> onReprobeLinks())
                .onMessage(ProbeWhenIdle.class, r -> {
                    probeNext();
                    return this;
                })
                .onMessage(PlaceAgain.class, this::onPlaceAgain)
                .onMessage(LinkMeasured.class, this::onLinkMeasured)
                .onMessage(ProbeTimedOut.class, t -> {
                    if (probing == t.probeId()) {
                        getContext().getLog().warn("link probe {} did not answer; links stay unmeasured", t.probeId());
                        probing = -1;
                        probeNext();
                    }
                    return this;
                })
                .build();
    }

    // ---- routing

    private Behavior<Command> onRoute(Route r) {
        if (!profiles.containsKey(r.from())) {
            // the asking node has the file but has not been heard of yet (it has just started): ask it, and route
            // once it has answered
            awaitingProfile.add(r);
            r.from().tell(new NodeAgent.GetProfile(profileAdapter));
            return this;
        }
        Placed p = byModel.get(r.model());
        if (p != null) {
            switch (p.state) {
                case LOCATING, LOADING, CONNECTING, BROKEN -> {
                    p.waiting.add(r);
                    return this;
                }
                case READY -> {
                    if (p.membership != membership && p.busy() == 0 && replan(p, r)) {
                        return this;
                    }
                    serve(p, r);
                    return this;
                }
            }
        }
        place(r);
        return this;
    }

    /**
     * Membership changed since {@code p} was planned and nothing runs on it: move if the planner now finds a
     * strictly better placement. Returns true when {@code r} went to the new placement.
     */
    private boolean replan(Placed p, Route r) {
        List<NodeCapability> nodes = capabilities(r.fileName(), p);
        Placement candidate = plan(r.model(), r.shape(), r.fileName(), nodes, null);
        PlanDiff diff = PlanDiff.compare(p.plan, candidate, nodes, planner.settings());
        getContext().getLog().info("[{}] membership changed; re-planned: {} ({})", p.model, diff.decision(),
                diff.reason());
        if (diff.decision() == PlanDiff.Decision.KEEP) {
            p.membership = membership;
            return false;
        }
        retire(p);
        place(r);
        return true;
    }

    private void place(Route r) {
        Placement placement = plan(r.model(), r.shape(), r.fileName(), capabilities(r.fileName(), null), null);
        switch (placement) {
            case Placement.Rejection rejection -> {
                NodeProfile asking = profiles.get(r.from());
                if (asking != null && usable(asking) && asking.modelFiles().contains(r.fileName())
                        && capabilities(r.fileName(), null).size() == 1) {
                    // a cluster of one: the node's own registry answers, with its own memory figures, as a lone
                    // node always has
                    r.replyTo().tell(new RouteReply.ServeHere(NODE_PREFIX + r.model() + "@" + asking.nodeName()));
                } else {
                    r.replyTo().tell(new RouteReply.Unplaceable(rejection.reason()));
                }
            }
            case Placement.Plan plan -> {
                Placed p = plan.assignments().size() == 1 || plan instanceof Placement.Replicas
                        ? new Placed(r.model(), r.fileName(), r.shape(), plan, membership, null, 0, profilesOf(plan))
                        : startInstance(r, plan);
                byModel.put(r.model(), p);
                getContext().getLog().info("[{}] placed: {}", r.model(), plan.describe());
                if (p.state == State.READY) {
                    serve(p, r);
                } else {
                    p.waiting.add(r);
                }
            }
        }
    }

    private void serve(Placed p, Route r) {
        if (p.distributed()) {
            p.inFlight++;
            p.keepAlive = r.keepAlive();
            timers.cancel(IDLE_PREFIX + p.instanceId);
            r.replyTo().tell(new RouteReply.ServeDistributed(p.workers.getFirst(), INSTANCE_PREFIX + p.instanceId));
            return;
        }
        NodeProfile asking = profiles.get(r.from());
        NodeProfile best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (NodeProfile n : p.positions) {
            if (!usable(n)) {
                continue;
            }
            int load = p.perNode.getOrDefault(n.nodeName(), 0);
            boolean preferred = asking != null && n.nodeName().equals(asking.nodeName());
            if (load < bestLoad || load == bestLoad && preferred) {
                best = n;
                bestLoad = load;
            }
        }
        if (best == null) {
            byModel.remove(p.model);
            place(r);
            return;
        }
        p.perNode.merge(best.nodeName(), 1, Integer::sum);
        String key = NODE_PREFIX + p.model + "@" + best.nodeName();
        if (asking != null && best.nodeName().equals(asking.nodeName())) {
            r.replyTo().tell(new RouteReply.ServeHere(key));
        } else {
            r.replyTo().tell(new RouteReply.ServeOn(agentOf(best), key));
        }
    }

    private Behavior<Command> onReleased(Released r) {
        String key = r.routeKey();
        if (key.startsWith(INSTANCE_PREFIX)) {
            Placed p = byInstance.get(key.substring(INSTANCE_PREFIX.length()));
            if (p != null && p.inFlight > 0 && --p.inFlight == 0) {
                armIdle(p);
            }
        } else if (key.startsWith(NODE_PREFIX)) {
            int at = key.lastIndexOf('@');
            Placed p = byModel.get(key.substring(NODE_PREFIX.length(), at));
            if (p != null && !p.distributed()) {
                p.perNode.computeIfPresent(key.substring(at + 1), (n, c) -> c > 1 ? c - 1 : null);
            }
        }
        return this;
    }

    // ---- planning

    /** @param mode null for the model's configured mode */
    private Placement plan(String model, ModelShape shape, String fileName, List<NodeCapability> nodes,
                           String mode) {
        PlacementSettings.ModelPlacement configured = settings.of(model);
        if (mode == null) {
            mode = configured.mode();
        }
        if (nodes.isEmpty()) {
            return new Placement.Rejection("no reachable node has the model file " + fileName,
                    Placement.Rejection.Cause.NO_NODES);
        }
        if (configured.maxNodes() > 0 && nodes.size() > configured.maxNodes()) {
            String file = fileName;
            nodes = nodes.stream().sorted(Comparator.comparingLong(NodeCapability::freeBytes).reversed()
                    .thenComparing(n -> !n.hasModelFile(file)).thenComparing(NodeCapability::node))
                    .limit(configured.maxNodes()).toList();
        }
        LinkMatrix links = linkMatrix(nodes);
        int ctx = Math.min(contextLength, shape.context());
        if (!configured.pins().isEmpty() && mode.equals(configured.mode())) {
            return planner.plan(shape, nodes, links, PlacementRequest.manual(manual(shape, configured), ctx, maxBatch));
        }
        return planner.plan(shape, nodes, links,
                PlacementRequest.of(PlacementMode.valueOf(mode.toUpperCase(Locale.ROOT)), ctx, maxBatch));
    }

    /**
     * The measured links between {@code nodes}; a pair not measured (yet, or its probe failed) counts as fast, so
     * that a cluster whose probes cannot run still places as it would on a good LAN.
     */
    private LinkMatrix linkMatrix(List<NodeCapability> nodes) {
        LinkMatrix m = LinkMatrix.uniform(nodes.stream().map(NodeCapability::node).toList(), ASSUMED_LINK);
        for (ClusterState.Link l : links.values()) {
            NodeId a = NodeId.of(l.a());
            NodeId b = NodeId.of(l.b());
            if (nodes.stream().anyMatch(n -> n.node().equals(a)) && nodes.stream().anyMatch(n -> n.node().equals(b))) {
                m = m.with(a, b, asPlannerLink(l));
            }
        }
        return m;
    }

    /** The configured pins as the planner's manual placement; an omitted range is the model's whole range. */
    private static ManualPlacement manual(ModelShape shape, PlacementSettings.ModelPlacement configured) {
        List<Pin> pins = new ArrayList<>();
        for (PlacementSettings.PinSettings p : configured.pins()) {
            int[] layers = p.layers() != null ? p.layers() : new int[] {0, shape.layers()};
            int[] kv = p.kvHeads() != null ? p.kvHeads() : new int[] {0, shape.kvHeads()};
            int[] ffn = p.ffn() != null ? p.ffn() : new int[] {0, shape.ffnDim()};
            int[] vocab = p.vocab() != null ? p.vocab() : new int[] {0, shape.vocab()};
            pins.add(new Pin(NodeId.of(p.node()), new dev.shoal.tensor.model.Slice(layers[0], layers[1], kv[0], kv[1],
                    ffn[0], ffn[1], vocab[0], vocab[1])));
        }
        return new ManualPlacement(pins);
    }

    /**
     * Reachable nodes holding {@code fileName} — and, when slices may be fetched ({@code shoal.placement.fetch-slices})
     * and some reachable node holds the file, the reachable nodes without it too (the planner gives them slices of a
     * split, never a whole replica) — with what other placements take counted as used.
     */
    private List<NodeCapability> capabilities(String fileName, Placed excluded) {
        Map<String, Long> used = new HashMap<>();
        for (Placed p : byModel.values()) {
            if (p == excluded || p.state == State.BROKEN) {
                continue;
            }
            for (Assignment a : p.plan.assignments()) {
                used.merge(a.node().value(), a.memory().total(), Long::sum);
            }
        }
        boolean fetchable = settings.fetchSlices() && holder(fileName, List.of()) != null;
        List<NodeCapability> nodes = new ArrayList<>();
        for (NodeProfile n : profiles.values()) {
            if (usable(n) && (fetchable || n.modelFiles().contains(fileName))) {
                nodes.add(new NodeCapability(NodeId.of(n.nodeName()), n.memoryBudgetBytes(),
                        n.usedBytes() + used.getOrDefault(n.nodeName(), 0L), n.cores(), Set.copyOf(n.modelFiles())));
            }
        }
        return nodes;
    }

    /**
     * A reachable node that has {@code fileName}, for nodes without it to fetch their slices from: one of
     * {@code preferred} if any has it (it reads the file anyway), else the first in address order; null when none.
     */
    private NodeProfile holder(String fileName, List<NodeProfile> preferred) {
        for (NodeProfile n : preferred) {
            if (usable(n) && n.modelFiles().contains(fileName)) {
                return n;
            }
        }
        return profiles.values().stream().filter(n -> usable(n) && n.modelFiles().contains(fileName))
                .min(java.util.Comparator.comparing(NodeProfile::address)).orElse(null);
    }

    /** Where the node named {@code node} gets the weights of its slice: null from its own file, else the holder. */
    private String weightsFrom(String node, String fileName, List<NodeProfile> inPlan) {
        NodeProfile p = profiles.values().stream().filter(n -> n.nodeName().equals(node)).findFirst().orElse(null);
        if (p == null || p.modelFiles().contains(fileName)) {
            return null;
        }
        NodeProfile h = holder(fileName, inPlan);
        return h == null ? "" : h.nodeName();
    }

    private boolean usable(NodeProfile n) {
        return !unreachable.contains(n.address()) && agentOf(n) != null;
    }

    private ActorRef<NodeAgent.Command> agentOf(NodeProfile n) {
        for (Map.Entry<ActorRef<NodeAgent.Command>, NodeProfile> e : profiles.entrySet()) {
            if (e.getValue().nodeName().equals(n.nodeName())) {
                return e.getKey();
            }
        }
        return null;
    }

    private List<NodeProfile> profilesOf(Placement.Plan plan) {
        List<NodeProfile> out = new ArrayList<>();
        for (Assignment a : plan.assignments()) {
            for (NodeProfile n : profiles.values()) {
                if (n.nodeName().equals(a.node().value())) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    // ---- distributed instances

    private Placed startInstance(Route r, Placement.Plan plan) {
        int number = instanceCount = (instanceCount + 1) % dev.shoal.transport.step.StreamIds.MAX_INSTANCES;
        // unique across coordinator incarnations: entities of a previous coordinator may still be stopping
        String id = slug(r.model()) + "-" + number + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
        List<NodeProfile> positions = profilesOf(plan);
        Placed p = new Placed(r.model(), r.fileName(), r.shape(), plan, membership, id, number, positions);
        p.attempt = attempts.getOrDefault(r.model(), 1);
        byInstance.put(id, p);
        // A node that has just joined may not have its shard region registered with the shard coordinator yet;
        // a shard located there would then be allocated to the asking node instead. Locate once the shard
        // coordinator knows a region on every node of the plan.
        askRegions();
        timers.startSingleTimer("load-" + id, new LoadTimedOut(id), settings.loadTimeout());
        return p;
    }

    private void askRegions() {
        sharding.shardState().tell(new org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats(
                ShardWorker.KEY, Duration.ofSeconds(3), regionsAdapter));
        // asked again if no answer comes (the shard coordinator may not run yet)
        timers.startSingleTimer("regions", AskRegions.INSTANCE, Duration.ofSeconds(4));
    }

    private Behavior<Command> onRegionsKnown(RegionsKnown known) {
        org.apache.pekko.actor.Address self = Cluster.get(getContext().getSystem()).selfMember().address();
        java.util.Set<String> regions = new java.util.HashSet<>();
        for (org.apache.pekko.actor.Address a : known.regions()) {
            regions.add((a.hasLocalScope() ? self : a).toString());
        }
        boolean waiting = false;
        for (Placed p : List.copyOf(byInstance.values())) {
            if (p.state != State.LOCATING || p.located) {
                continue;
            }
            if (!p.positions.stream().allMatch(n -> regions.contains(n.address()))) {
                waiting = true;
                continue;
            }
            p.located = true;
            Map<String, org.apache.pekko.actor.Address> locations = new HashMap<>();
            for (int i = 0; i < p.positions.size(); i++) {
                locations.put(ShardSpec.entityId(p.instanceId, i),
                        AddressFromURIString.parse(p.positions.get(i).address()));
            }
            String id = p.instanceId;
            getContext().pipeToSelf(ExternalShardAllocation.get(getContext().getSystem())
                            .getClient(ShardWorker.KEY.name()).setShardLocations(locations),
                    (done, failure) -> new LocationsSet(id, failure));
        }
        if (waiting) {
            timers.startSingleTimer("regions", AskRegions.INSTANCE, Duration.ofMillis(300));
        } else {
            timers.cancel("regions");
        }
        return this;
    }

    private Behavior<Command> onLocationsSet(LocationsSet s) {
        Placed p = byInstance.get(s.instanceId());
        if (p == null || p.state != State.LOCATING) {
            return this;
        }
        if (s.failure() != null) {
            return failInstance(s.instanceId(), "could not place its shards: " + s.failure().getMessage());
        }
        // The allocation strategy learns locations through a distributed-data subscription, which is notified
        // every notify-subscribers-interval; a shard first asked for before that would be allocated to the asking
        // node instead. (A worker that finds itself on the wrong node says so, and the placement is retried.)
        timers.startSingleTimer("visible-" + p.instanceId, new LocationsVisible(p.instanceId), locationDelay);
        return this;
    }

    private Behavior<Command> onLocationsVisible(LocationsVisible v) {
        Placed p = byInstance.get(v.instanceId());
        if (p == null || p.state != State.LOCATING) {
            return this;
        }
        p.state = State.LOADING;
        List<Assignment> assignments = p.plan.assignments();
        var wiring = InstanceWirings.of(p.number, p.plan, p.positions);
        NodeProfile holder = holder(p.fileName, p.positions);
        for (int i = 0; i < assignments.size(); i++) {
            NodeProfile at = p.positions.get(i);
            String fetchFrom = at.modelFiles().contains(p.fileName) || holder == null ? "" : holder.httpBaseUrl();
            ShardSpec spec = new ShardSpec(p.instanceId, p.model, p.fileName, at.address(), i,
                    assignments.stream().map(Assignment::slice).toList(), wiring,
                    Math.min(contextLength, p.shape.context()), maxBatch, maxQueue,
                    assignments.get(i).memory().total(), fetchFrom);
            sharding.entityRefFor(ShardWorker.KEY, spec.entityId())
                    .tell(new ShardWorker.Load(spec, getContext().getSelf()));
        }
        return this;
    }

    private Behavior<Command> onShardLoaded(ShardLoaded l) {
        Placed p = byInstance.get(l.instanceId());
        if (p == null || p.state != State.LOADING) {
            l.worker().tell(new ShardWorker.Stop(l.instanceId()));
            return this;
        }
        p.workers.set(l.position(), l.worker());
        if (++p.loaded == p.workers.size()) {
            p.state = State.CONNECTING;
            for (ActorRef<ShardWorker.Command> w : p.workers) {
                w.tell(new ShardWorker.Connect(p.instanceId));
            }
        }
        return this;
    }

    private Behavior<Command> onShardProgress(ShardProgress progress) {
        Placed p = byInstance.get(progress.instanceId());
        if (p != null && p.state == State.LOADING) {
            timers.startSingleTimer("load-" + p.instanceId, new LoadTimedOut(p.instanceId), settings.loadTimeout());
        }
        return this;
    }

    private Behavior<Command> onShardConnected(ShardConnected c) {
        Placed p = byInstance.get(c.instanceId());
        if (p == null || p.state != State.CONNECTING) {
            return this;
        }
        if (++p.connected == p.workers.size()) {
            p.state = State.READY;
            timers.cancel("load-" + p.instanceId);
            getContext().getLog().info("[{}] instance {} ready on {}", p.model, p.instanceId,
                    p.positions.stream().map(NodeProfile::nodeName).toList());
            List<Route> waiting = List.copyOf(p.waiting);
            p.waiting.clear();
            waiting.forEach(r -> onRoute(r));
            if (p.inFlight == 0) {
                armIdle(p);
            }
        }
        return this;
    }

    private Behavior<Command> onShardFailed(ShardFailed f) {
        Placed p = byInstance.get(f.instanceId());
        if (p != null && f.reason().startsWith(ShardWorker.MISPLACED) && p.attempt < MAX_PLACEMENT_ATTEMPTS) {
            // Most likely the node has just joined and its shard region is not yet registered with the shard
            // coordinator, which then allocates to the asking region instead: place again after a pause
            Duration pause = Duration.ofMillis(500L * p.attempt);
            getContext().getLog().warn("[{}] {}; placing again in {} ms", f.instanceId(), f.reason(),
                    pause.toMillis());
            retire(p);
            timers.startSingleTimer("replace-" + p.instanceId, new PlaceAgain(p.model, List.copyOf(p.waiting),
                    p.attempt + 1), pause);
            return this;
        }
        return failInstance(f.instanceId(), "position " + f.position() + ": " + f.reason());
    }

    private Behavior<Command> onPlaceAgain(PlaceAgain again) {
        attempts.put(again.model(), again.attempt());
        again.routes().forEach(this::onRoute);
        attempts.remove(again.model());
        return this;
    }

    private Behavior<Command> failInstance(String instanceId, String reason) {
        Placed p = byInstance.get(instanceId);
        if (p == null) {
            return this;
        }
        String why = "placing " + p.model + " failed: " + reason;
        getContext().getLog().warn("[{}] {}", instanceId, why);
        retire(p);
        for (Route r : p.waiting) {
            r.replyTo().tell(new RouteReply.Unplaceable(why));
        }
        return this;
    }

    private Behavior<Command> onInstanceBroken(InstanceBroken b) {
        Placed p = byInstance.get(b.instanceId());
        if (p == null || p.state == State.BROKEN) {
            return this;
        }
        getContext().getLog().warn("[{}] instance {} broken ({}); re-placing once membership settles", p.model,
                p.instanceId, b.reason());
        stopWorkers(p);
        p.state = State.BROKEN;
        p.detail = b.reason();
        timers.startSingleTimer("settle-" + p.instanceId, new SettleTimedOut(p.instanceId),
                settings.settleTimeout());
        return this;
    }

    /** Broken instances give way to fresh placements on the nodes reachable now; their waiting requests follow. */
    private Behavior<Command> settle() {
        for (Placed p : List.copyOf(byInstance.values())) {
            if (p.state == State.BROKEN) {
                timers.cancel("settle-" + p.instanceId);
                byInstance.remove(p.instanceId);
                byModel.remove(p.model, p);
                List<Route> waiting = List.copyOf(p.waiting);
                waiting.forEach(r -> onRoute(r));
            }
        }
        return this;
    }

    private void retire(Placed p) {
        stopWorkers(p);
        byModel.remove(p.model, p);
        if (p.distributed()) {
            byInstance.remove(p.instanceId);
            timers.cancel("load-" + p.instanceId);
            timers.cancel("settle-" + p.instanceId);
            timers.cancel("visible-" + p.instanceId);
            timers.cancel(IDLE_PREFIX + p.instanceId);
        }
    }

    private void stopWorkers(Placed p) {
        if (!p.distributed()) {
            return;
        }
        for (int i = 0; i < p.workers.size(); i++) {
            // through sharding, so that a worker still loading (no ref yet) stops too
            sharding.entityRefFor(ShardWorker.KEY, ShardSpec.entityId(p.instanceId, i))
                    .tell(new ShardWorker.Stop(p.instanceId));
        }
    }

    /**
     * Distributed instances idle for their keep-alive are unloaded, as a node unloads its idle models: their slices
     * hold memory on every node of the placement. The keep-alive is the latest request's (Ollama semantics), else
     * the node's default; zero unloads at once, negative (or a default of "forever") never. The next request
     * places the model again.
     */
    private void armIdle(Placed p) {
        Duration ka = keepAliveOf(p);
        if (ka == null || ka.isNegative() || ka.compareTo(LONGEST_IDLE_TIMER) > 0) {
            return;
        }
        if (ka.isZero()) {
            unloadIdle(p, ka);
        } else {
            timers.startSingleTimer(IDLE_PREFIX + p.instanceId, new IdleCheck(p.instanceId), ka);
        }
    }

    private Behavior<Command> onIdleCheck(IdleCheck c) {
        Placed p = byInstance.get(c.instanceId());
        if (p != null && p.state == State.READY && p.inFlight == 0) {
            unloadIdle(p, keepAliveOf(p));
        }
        return this;
    }

    /** The instance's keep-alive: its latest request's, else the default; null or negative = for ever. */
    private Duration keepAliveOf(Placed p) {
        return p.keepAlive != null ? p.keepAlive : keepAlive;
    }

    private void unloadIdle(Placed p, Duration ka) {
        getContext().getLog().info("[{}] instance {} idle for its keep-alive of {}; unloading its slices", p.model,
                p.instanceId, ka);
        retire(p);
    }

    // ---- membership

    private Behavior<Command> onAgentsListed(AgentsListed l) {
        boolean removed = profiles.keySet().retainAll(l.agents());
        if (removed) {
            java.util.Set<String> names = new java.util.HashSet<>();
            profiles.values().forEach(n -> names.add(n.nodeName()));
            links.values().removeIf(k -> !names.contains(k.a()) || !names.contains(k.b()));
        }
        for (ActorRef<NodeAgent.Command> agent : l.agents()) {
            if (!profiles.containsKey(agent)) {
                agent.tell(new NodeAgent.GetProfile(profileAdapter));
            }
        }
        if (removed) {
            membershipChanged();
        }
        return this;
    }

    private Behavior<Command> onProfile(ProfileArrived a) {
        String name = a.reply().profile().nodeName();
        if (profiles.values().stream().noneMatch(n -> n.nodeName().equals(name))) {
            for (NodeProfile other : profiles.values()) {
                probeQueue.add(new String[] {name, other.nodeName()});
            }
        }
        if (!profiles.containsKey(a.reply().agent()) || !profiles.get(a.reply().agent()).equals(a.reply().profile())) {
            profiles.put(a.reply().agent(), a.reply().profile());
            getContext().getLog().info("node {} offers {}", a.reply().profile().nodeName(), a.reply().profile());
            membershipChanged();
        }
        List<Route> ready = awaitingProfile.stream().filter(r -> r.from().equals(a.reply().agent())).toList();
        awaitingProfile.removeAll(ready);
        ready.forEach(this::onRoute);
        probeNext();
        return this;
    }

    private boolean fast(ClusterState.Link l) {
        return asPlannerLink(l).isFast(planner.settings());
    }

    private static Link asPlannerLink(ClusterState.Link l) {
        return new Link(Math.round(l.roundTripMicros()), Math.round(l.bytesPerSecond()));
    }

    /**
     * Queues every pair of usable nodes for a new measurement, unless a model is busy: a probe's burst of 64 KiB
     * messages would slow the generations on the link it measures. A skipped round waits for the next tick.
     */
    private Behavior<Command> onReprobeLinks() {
        if (byModel.values().stream().anyMatch(p -> p.busy() > 0) || probing >= 0 || !probeQueue.isEmpty()) {
            getContext().getLog().debug("link re-probe skipped: models busy or probes still running");
            return this;
        }
        List<NodeProfile> nodes = profiles.values().stream().filter(this::usable).toList();
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                probeQueue.add(new String[] {nodes.get(i).nodeName(), nodes.get(j).nodeName()});
            }
        }
        probeNext();
        return this;
    }

    /**
     * Starts the next queued link probe unless one runs — or, while a placement loads or a model generates, in a
     * second (for at most {@link #PROBE_MAX_WAIT}): a probe that shares the nodes' cores with either measured a
     * loopback link at 15 ms and 32 MB/s instead of 60 us and 470 MB/s (nodes on one core each), which would class a
     * fast link slow until the next re-probe, and its bursts would slow the generation.
     */
    private void probeNext() {
        if (probing < 0 && !probeQueue.isEmpty() && nodesBusy()) {
            long now = System.nanoTime();
            if (probeWaitingSince < 0) {
                probeWaitingSince = now;
            }
            if (now - probeWaitingSince < PROBE_MAX_WAIT.toNanos()) {
                timers.startSingleTimer("probe-wait", ProbeWhenIdle.INSTANCE, Duration.ofSeconds(1));
                return;
            }
            getContext().getLog().info("links probed although models have been busy for {} s",
                    PROBE_MAX_WAIT.toSeconds());
        }
        probeWaitingSince = -1;
        while (probing < 0 && !probeQueue.isEmpty()) {
            String[] pair = probeQueue.poll();
            NodeProfile from = profileNamed(pair[0]);
            NodeProfile to = profileNamed(pair[1]);
            if (from == null || to == null || !usable(from) || !usable(to)) {
                continue;
            }
            probing = probeCount = (probeCount + 1) % 1000;
            agentOf(from).tell(new NodeAgent.ProbeLink(probing, to, agentOf(to), linkAdapter));
            timers.startSingleTimer("probe", new ProbeTimedOut(probing), PROBE_TIMEOUT);
        }
    }

    /** Whether a placement is loading or connecting, or a model has a request in flight. */
    private boolean nodesBusy() {
        return byModel.values().stream().anyMatch(p -> p.busy() > 0)
                || byInstance.values().stream().anyMatch(p -> p.state == State.LOCATING || p.state == State.LOADING
                || p.state == State.CONNECTING);
    }

    private NodeProfile profileNamed(String name) {
        return profiles.values().stream().filter(n -> n.nodeName().equals(name)).findFirst().orElse(null);
    }

    private Behavior<Command> onLinkMeasured(LinkMeasured m) {
        NodeAgent.LinkResult r = m.result();
        if (r.probeId() != probing) {
            return this;
        }
        probing = -1;
        timers.cancel("probe");
        if (r.error() != null) {
            getContext().getLog().warn("link {} -> {} not measured: {}", r.from(), r.to(), r.error());
        } else {
            String a = r.from().compareTo(r.to()) <= 0 ? r.from() : r.to();
            String b = a.equals(r.from()) ? r.to() : r.from();
            ClusterState.Link measured = new ClusterState.Link(a, b, r.roundTripMicros(), r.bytesPerSecond(),
                    System.currentTimeMillis());
            ClusterState.Link before = links.put(a + "|" + b, measured);
            getContext().getLog().info("link {} <-> {}: round trip {} us, {} MB/s", a, b,
                    String.format(Locale.ROOT, "%.1f", r.roundTripMicros()),
                    String.format(Locale.ROOT, "%.0f", r.bytesPerSecond() / 1e6));
            // plans depend on whether a link is fast, not on its exact figures: re-measuring a link that stays on
            // the same side of the bounds must not make every idle placement re-plan
            if (before == null || fast(before) != fast(measured)) {
                membership++;
            }
        }
        probeNext();
        return this;
    }

    private Behavior<Command> onReachability(Reachability r) {
        boolean changed = r.reachable() ? unreachable.remove(r.address()) : unreachable.add(r.address());
        if (changed) {
            getContext().getLog().info("member {} is {}", r.address(), r.reachable() ? "reachable again"
                    : "unreachable");
            membershipChanged();
        }
        return this;
    }

    private void membershipChanged() {
        membership++;
        boolean anyBroken = byInstance.values().stream().anyMatch(p -> p.state == State.BROKEN);
        if (anyBroken) {
            settle();
        }
    }

    // ---- views

    private Behavior<Command> onPreview(Preview v) {
        Placement placement = plan(v.model(), v.shape(), v.fileName(),
                capabilities(v.fileName(), byModel.get(v.model())), v.mode());
        v.replyTo().tell(switch (placement) {
            case Placement.Rejection r -> new PlacementPreview.Rejected(v.model(), r.reason(),
                    r.cause().name().toLowerCase(Locale.ROOT));
            case Placement.Plan p -> new PlacementPreview.Plan(v.model(), kind(p),
                    slices(p, node -> weightsFrom(node, v.fileName(), profilesOf(p))), p.describe());
        });
        return this;
    }

    private ClusterState.Instance describe(Placed p) {
        String state = switch (p.state) {
            case LOCATING, LOADING, CONNECTING -> "loading";
            case READY -> "ready";
            case BROKEN -> "failed";
        };
        String transport = p.plan instanceof Placement.Replicas || p.positions.size() < 2 ? "none"
                : InstanceWirings.of(p.number, p.plan, p.positions).overIpc() ? "ipc" : "udp";
        return new ClusterState.Instance(p.model, kind(p.plan), state,
                slices(p.plan, node -> weightsFrom(node, p.fileName, p.positions)), p.detail, transport);
    }

    static String kind(Placement.Plan p) {
        return switch (p) {
            case Placement.Replicas r -> "replicas";
            case Placement.Pipeline pl -> pl.stages().size() == 1 ? "replicas" : "pipeline";
            case Placement.Tensor t -> t.ranks().size() == 1 ? "replicas" : "tensor";
            case Placement.Hybrid h -> "hybrid";
        };
    }

    /** @param weightsFrom by node name: null when it reads its own file, else the node it fetches its slice from */
    static List<ClusterState.Slice> slices(Placement.Plan p, java.util.function.Function<String, String> weightsFrom) {
        List<ClusterState.Slice> out = new ArrayList<>();
        switch (p) {
            case Placement.Replicas r -> r.nodes().forEach(n -> out.add(new ClusterState.Slice(n.value(), 0, 0,
                    r.slice().toString(), r.memory().total(), weightsFrom.apply(n.value()))));
            case Placement.Pipeline pl -> {
                for (int s = 0; s < pl.stages().size(); s++) {
                    var st = pl.stages().get(s);
                    out.add(new ClusterState.Slice(st.node().value(), s, 0, st.slice().toString(),
                            st.memory().total(), weightsFrom.apply(st.node().value())));
                }
            }
            case Placement.Tensor t -> {
                for (int r = 0; r < t.ranks().size(); r++) {
                    var rk = t.ranks().get(r);
                    out.add(new ClusterState.Slice(rk.node().value(), 0, r, rk.slice().toString(),
                            rk.memory().total(), weightsFrom.apply(rk.node().value())));
                }
            }
            case Placement.Hybrid h -> {
                for (int s = 0; s < h.stages().size(); s++) {
                    for (int r = 0; r < h.stages().get(s).size(); r++) {
                        var rk = h.stages().get(s).get(r);
                        out.add(new ClusterState.Slice(rk.node().value(), s, r, rk.slice().toString(),
                                rk.memory().total(), weightsFrom.apply(rk.node().value())));
                    }
                }
            }
        }
        return out;
    }

    private static String slug(String model) {
        return model.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
