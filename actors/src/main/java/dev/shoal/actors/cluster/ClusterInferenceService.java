package dev.shoal.actors.cluster;

import dev.shoal.actors.ActorInferenceService;
import dev.shoal.actors.OnceListener;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.ClusterView;
import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.PlacementSettings;
import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.ModelShape;
import dev.shoal.tensor.gguf.GgufFile;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The node's {@link InferenceService} in a cluster: every generation asks the placement coordinator where its
 * model runs (this node's own copy, another node's replica, or a distributed instance) through a
 * {@link RemoteStream}, which also replays it if the node running it dies. A request may name a model file this
 * node has, or one only another member has ({@link RemoteModels}: its header is fetched from there for the entry
 * and the shape the planner needs). Model listings are this node's own files and those of the other members (as
 * far as resolved, in the background); the loaded models are the whole ones this node runs and the distributed ones
 * it holds slices of. Also the {@link ClusterView}.
 */
public final class ClusterInferenceService implements InferenceService, ClusterView {

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    private static final AtomicLong STREAMS = new AtomicLong();

    private final ActorSystem<?> system;
    private final ActorInferenceService local;
    private final ActorRef<PlacementCoordinator.Command> coordinator;
    private final ActorRef<NodeAgent.Command> agent;
    private final ShardHost host;
    private final Duration routeTimeout;
    private final Map<String, CachedShape> shapes = new ConcurrentHashMap<>();
    private final RemoteModels remote = new RemoteModels();
    /** Where fetching another member's model header blocks. */
    private final scala.concurrent.ExecutionContextExecutor blocking;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Tokens streamed to this node's clients, for the tokens/s figure. */
    private final java.util.concurrent.atomic.LongAdder tokens = new java.util.concurrent.atomic.LongAdder();

    private record CachedShape(long modifiedMillis, long size, ModelShape shape) {
    }

    /**
     * @param routeTimeout how long a request may wait for a placement (loading the slices included)
     */
    public ClusterInferenceService(ActorSystem<?> system, ActorInferenceService local,
                                   ActorRef<PlacementCoordinator.Command> coordinator,
                                   ActorRef<NodeAgent.Command> agent, ShardHost host, PlacementSettings placement,
                                   Duration routeTimeout) {
        this.system = system;
        this.local = local;
        this.coordinator = coordinator;
        this.agent = agent;
        this.host = host;
        this.routeTimeout = routeTimeout.plus(placement.loadTimeout());
        this.blocking = system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
        system.getWhenTerminated().thenRun(remote::close);
        // other members' models are listed here too: resolve them soon after start, then every few seconds (a file
        // resolved within RemoteModels.RECHECK costs nothing but the coordinator's answer); not once shutdown began
        org.apache.pekko.actor.Cancellable refresher = system.scheduler().scheduleWithFixedDelay(
                Duration.ofSeconds(3), REFRESH_INTERVAL, this::refreshRemote, blocking);
        org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
                org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(), "shoal-stop-model-refresh",
                () -> {
                    refresher.cancel();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
    }

    @Override
    public java.nio.file.Path modelsDir() {
        return local.modelsDir();
    }

    /**
     * This node's models, then those only other members have, as far as they are resolved (in the background, every
     * {@link #REFRESH_INTERVAL}).
     */
    @Override
    public List<ModelEntry> models() {
        List<ModelEntry> out = new ArrayList<>(local.models());
        java.util.Set<String> names = new java.util.HashSet<>();
        out.forEach(e -> names.add(e.name()));
        for (RemoteModels.Resolved r : remote.known()) {
            if (names.add(r.entry().name())) {
                out.add(r.entry());
            }
        }
        out.sort(java.util.Comparator.comparing(ModelEntry::name));
        return out;
    }

    /** How often the other members' models are resolved again in the background. */
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(10);
    private final java.util.concurrent.atomic.AtomicBoolean refreshing =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Resolves the other members' model files, unless a refresh still runs. Only from the periodic task: a refresh
     * started from a listing just before the node stopped left its actor system's termination unfinished when
     * {@code CoordinatedShutdown} had already returned ({@code ShoalNodeTest}, 2 runs in 4).
     */
    private void refreshRemote() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        String self = Cluster.get(system).selfMember().address().toString();
        AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.Instances>ask(coordinator,
                        PlacementCoordinator.GetInstances::new, ASK_TIMEOUT, system.scheduler())
                .thenAcceptAsync(k -> remote.refresh(k.nodes().stream().filter(n -> !n.address().equals(self))
                        .toList()), blocking)
                .whenComplete((done, failure) -> refreshing.set(false));
    }

    @Override
    public Optional<ModelEntry> find(String name) {
        return local.find(name).or(() -> remote.cached(name).map(RemoteModels.Resolved::entry));
    }

    /**
     * The whole models this node runs, then one entry per model it holds slices of (Ollama {@code /api/ps} on a
     * node of a split model lists that model, sized by the memory its placement reserved here for weights and KV
     * cache, as a whole model is sized by its own reservation). When to unload a distributed instance
     * is the placement coordinator's decision, so a slice's entry has no expiry; its sequences are counted where
     * the instance's supervisor runs.
     */
    @Override
    public List<LoadedModel> loaded() {
        List<LoadedModel> out = new ArrayList<>(local.loaded());
        Map<String, Long> sliceBytes = new HashMap<>();
        for (ShardHost.Loaded l : host.slices()) {
            sliceBytes.merge(l.fileName(), l.reservedBytes(), Long::sum);
        }
        if (sliceBytes.isEmpty()) {
            return out;
        }
        for (ModelEntry e : local.models()) {
            Long bytes = sliceBytes.remove(fileName(e));
            if (bytes != null) {
                out.add(new LoadedModel(e, bytes, null, 0, 0));
            }
        }
        // slices of models whose file only other members have
        for (RemoteModels.Resolved r : remote.known()) {
            Long bytes = sliceBytes.remove(r.fileName());
            if (bytes != null) {
                out.add(new LoadedModel(r.entry(), bytes, null, 0, 0));
            }
        }
        return out;
    }

    @Override
    public GenerationHandle submit(GenerationJob job, GenerationListener listener) {
        Optional<ModelEntry> entry = job == null || job.model() == null ? Optional.empty() : local.find(job.model());
        if (entry.isEmpty()) {
            if (job == null || job.model() == null || job.model().isBlank()) {
                listener.onError(new ServiceError.ModelNotFound(job == null ? null : job.model()));
                return () -> { };
            }
            return submitRemote(job, listener);
        }
        ModelShape shape;
        try {
            shape = shapeOf(entry.get());
        } catch (IOException | RuntimeException e) {
            listener.onError(new ServiceError.Internal("cannot read model '" + job.model() + "': " + e.getMessage()));
            return () -> { };
        }
        inFlight.incrementAndGet();
        OnceListener once = new OnceListener(new CountingListener(listener, tokens), inFlight::decrementAndGet);
        GenerationJob named = new GenerationJob(entry.get().name(), job.prompt(), job.sampling(), job.maxTokens(),
                job.stop(), job.keepAlive());
        ActorRef<RemoteStream.Command> stream = system.systemActorOf(
                RemoteStream.create(named, once, fileName(entry.get()), shape, coordinator,
                        agent, local, routeTimeout),
                "shoal-stream-" + STREAMS.incrementAndGet(), Props.empty());
        return () -> stream.tell(RemoteStream.Cancel.INSTANCE);
    }

    /**
     * A job for a model only other members have: resolved from the member that has it (off the caller's thread),
     * then routed as any other; a model no member has is {@link ServiceError.ModelNotFound}.
     */
    private GenerationHandle submitRemote(GenerationJob job, GenerationListener listener) {
        inFlight.incrementAndGet();
        OnceListener once = new OnceListener(new CountingListener(listener, tokens), inFlight::decrementAndGet);
        java.util.concurrent.atomic.AtomicReference<ActorRef<RemoteStream.Command>> stream =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
        resolveRemote(job.model()).whenComplete((resolved, failure) -> {
            if (failure != null) {
                once.onError(new ServiceError.Internal(message(failure)));
            } else if (resolved.isEmpty()) {
                once.onError(new ServiceError.ModelNotFound(job.model()));
            } else {
                RemoteModels.Resolved r = resolved.get();
                GenerationJob named = new GenerationJob(r.entry().name(), job.prompt(), job.sampling(),
                        job.maxTokens(), job.stop(), job.keepAlive());
                ActorRef<RemoteStream.Command> ref = system.systemActorOf(RemoteStream.create(named, once,
                                r.fileName(), r.shape(), coordinator, agent, local, routeTimeout),
                        "shoal-stream-" + STREAMS.incrementAndGet(), Props.empty());
                stream.set(ref);
                if (cancelled.get()) {
                    ref.tell(RemoteStream.Cancel.INSTANCE);
                }
            }
        });
        return () -> {
            cancelled.set(true);
            ActorRef<RemoteStream.Command> ref = stream.get();
            if (ref != null) {
                ref.tell(RemoteStream.Cancel.INSTANCE);
            }
        };
    }

    /** {@code name} among the other members' files (asks the coordinator who has what, then the member). */
    private CompletionStage<Optional<RemoteModels.Resolved>> resolveRemote(String name) {
        String self = Cluster.get(system).selfMember().address().toString();
        CompletionStage<PlacementCoordinator.Instances> known = AskPattern.ask(coordinator,
                PlacementCoordinator.GetInstances::new, ASK_TIMEOUT, system.scheduler());
        return known.thenApplyAsync(k -> {
            try {
                return remote.resolve(name, k.nodes().stream().filter(n -> !n.address().equals(self)).toList());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, blocking);
    }

    private static String message(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.io.UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return "the placement coordinator did not say within " + ASK_TIMEOUT.toSeconds()
                    + " s which members have the model";
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** The model file as nodes name it: its path under the models directory, with '/' separators. */
    private String fileName(ModelEntry e) {
        return local.modelsDir().relativize(e.path()).toString().replace(java.io.File.separatorChar, '/');
    }

    private ModelShape shapeOf(ModelEntry e) throws IOException {
        String key = e.path().toString();
        CachedShape cached = shapes.get(key);
        if (cached != null && cached.modifiedMillis() == e.modified().toEpochMilli() && cached.size() == e.sizeBytes()) {
            return cached.shape();
        }
        try (GgufFile file = GgufFile.open(e.path())) {
            ModelShape shape = ModelShape.of(file).withName(fileName(e));
            shapes.put(key, new CachedShape(e.modified().toEpochMilli(), e.sizeBytes(), shape));
            return shape;
        }
    }

    /** Tokens streamed to this node's clients since start. */
    public long tokensStreamed() {
        return tokens.sum();
    }

    /** Generations running or waiting here (cluster routed and local). */
    public int inFlight() {
        return inFlight.get() + local.inFlight();
    }

    /** Completes when nothing is in flight here, or at {@code deadline}. */
    public CompletionStage<Done> drain(Duration deadline) {
        return dev.shoal.actors.Drain.until(system, this::inFlight, deadline);
    }

    // ---- ClusterView

    @Override
    public CompletionStage<ClusterState> state() {
        CompletionStage<PlacementCoordinator.Instances> instances = AskPattern.ask(coordinator,
                PlacementCoordinator.GetInstances::new, ASK_TIMEOUT, system.scheduler());
        return instances.thenApply(this::snapshot);
    }

    private ClusterState snapshot(PlacementCoordinator.Instances known) {
        Cluster cluster = Cluster.get(system);
        var state = cluster.state();
        Map<String, NodeProfile> byAddress = new HashMap<>();
        known.nodes().forEach(n -> byAddress.put(n.address(), n));
        List<ClusterState.Member> members = new ArrayList<>();
        for (Member m : state.getMembers()) {
            String address = m.address().toString();
            NodeProfile p = byAddress.get(address);
            members.add(new ClusterState.Member(p == null ? address : p.nodeName(), address,
                    m.status().toString().toLowerCase(Locale.ROOT), !state.getUnreachable().contains(m),
                    List.copyOf(CollectionConverters.asJava(m.roles())),
                    p == null ? null : new ClusterState.Capabilities(p.memoryBudgetBytes(), p.usedBytes(), p.cores(),
                            p.modelFiles())));
        }
        String self = cluster.selfMember().address().toString();
        NodeProfile me = byAddress.get(self);
        var leader = state.getLeader();
        String leaderName = leader == null ? null
                : byAddress.containsKey(leader.toString()) ? byAddress.get(leader.toString()).nodeName()
                : leader.toString();
        return new ClusterState(me == null ? self : me.nodeName(), leaderName, members, known.instances(),
                known.links());
    }

    @Override
    public CompletionStage<PlacementPreview> preview(String model, String mode) {
        String m = mode == null ? null : mode.toLowerCase(Locale.ROOT);
        if (m != null && !PlacementSettings.MODES.contains(m)) {
            return CompletableFuture.completedFuture(new PlacementPreview.Unavailable(model,
                    "unknown placement mode '" + mode + "'; use one of auto, replicas, pipeline, tensor, hybrid"));
        }
        Optional<ModelEntry> entry = model == null ? Optional.empty() : local.find(model);
        if (entry.isEmpty()) {
            if (model == null || model.isBlank()) {
                return CompletableFuture.completedFuture(new PlacementPreview.Unavailable(model,
                        "name a model: /cluster/placement/preview?model=NAME"));
            }
            return resolveRemote(model).handle((resolved, failure) -> failure != null
                    ? CompletableFuture.<PlacementPreview>completedFuture(new PlacementPreview.Unavailable(model,
                            "cannot read model '" + model + "': " + message(failure)))
                    : resolved.isEmpty()
                    ? CompletableFuture.<PlacementPreview>completedFuture(new PlacementPreview.Unavailable(model,
                            "no member has a model file for '" + model + "'"))
                    : AskPattern.<PlacementCoordinator.Command, PlacementPreview>ask(coordinator,
                            replyTo -> new PlacementCoordinator.Preview(resolved.get().entry().name(),
                                    resolved.get().fileName(), resolved.get().shape(), m, replyTo),
                            ASK_TIMEOUT, system.scheduler())).thenCompose(x -> x);
        }
        ModelShape shape;
        try {
            shape = shapeOf(entry.get());
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(new PlacementPreview.Unavailable(model,
                    "cannot read model '" + model + "': " + e.getMessage()));
        }
        String file = fileName(entry.get());
        return AskPattern.ask(coordinator,
                replyTo -> new PlacementCoordinator.Preview(entry.get().name(), file, shape, m, replyTo), ASK_TIMEOUT,
                system.scheduler());
    }
}
