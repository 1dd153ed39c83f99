package dev.shoal.actors.cluster;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.ServiceError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A Cluster Sharding entity that owns one position of a distributed model instance: its slice in memory, its end
 * of the Aeron step plane, and at position 0 the {@link InstanceSupervisor}. The placement coordinator puts the
 * entity on the node its plan names (external shard allocation, one shard per entity) and then drives it:
 * {@link Load} (read the slice, open channels) → {@link Connect} (wait for every peer; workers start their step
 * loop) → requests → {@link Stop}. Loading and connecting block, so they run on the blocking dispatcher and come
 * back as messages; the steps themselves never touch this actor.
 */
public final class ShardWorker extends AbstractBehavior<ShardWorker.Command> {

    public static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "shoal-shard");

    /** How a {@link PlacementCoordinator.ShardFailed} reason starts when the entity started on the wrong node. */
    static final String MISPLACED = "misplaced: ";

    public sealed interface Command {
    }

    /** Load this position's slice; the coordinator hears {@link PlacementCoordinator.ShardLoaded} or a failure. */
    public record Load(ShardSpec spec, ActorRef<PlacementCoordinator.Command> coordinator)
            implements Command, ClusterMessage {
    }

    /** Every position is loaded: connect to the peers (and start the step loop). */
    public record Connect(String instanceId) implements Command, ClusterMessage {
    }

    /** Run a generation (position 0 only); events go to {@code replyTo}. */
    public record Generate(GenerationJob job, ActorRef<StreamEvent> replyTo) implements Command, ClusterMessage {
    }

    /** The client of {@code stream} is gone. */
    public record Cancel(ActorRef<StreamEvent> stream) implements Command, ClusterMessage {
    }

    /** Close the slice and stop. */
    public record Stop(String instanceId) implements Command, ClusterMessage {
    }

    private record Loaded(LoadedShard shard, Throwable failure) implements Command {
    }

    private record Connected(Throwable failure) implements Command {
    }

    private record Broken(String reason) implements Command {
    }

    private final ShardHost host;
    private final Executor blocking;
    private ShardSpec spec;
    private ActorRef<PlacementCoordinator.Command> coordinator;
    private LoadedShard shard;
    private InstanceSupervisor supervisor;
    /** The slice being loaded; closed when it arrives after this entity has stopped. */
    private CompletableFuture<LoadedShard> loading;
    /** When {@code Load} arrived, for the log line that says how long loading took. */
    private long loadStarted;

    public static Behavior<Command> create(ShardHost host) {
        return Behaviors.setup(context -> new ShardWorker(context, host));
    }

    private ShardWorker(ActorContext<Command> context, ShardHost host) {
        super(context);
        this.host = host;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Load.class, this::onLoad)
                .onMessage(Loaded.class, this::onLoaded)
                .onMessage(Connect.class, this::onConnect)
                .onMessage(Connected.class, this::onConnected)
                .onMessage(Generate.class, this::onGenerate)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(Broken.class, this::onBroken)
                .onMessage(Stop.class, stop -> Behaviors.stopped())
                .onSignal(Terminated.class, t -> {
                    getContext().getLog().info("[{}] the placement coordinator is gone; stopping",
                            spec == null ? "?" : spec.entityId());
                    if (supervisor != null) {
                        supervisor.close("the placement coordinator's node left; continuing on a new placement");
                        supervisor = null;
                    }
                    return Behaviors.stopped();
                })
                .onSignal(PostStop.class, signal -> onPostStop())
                .build();
    }

    private Behavior<Command> onLoad(Load load) {
        if (spec != null) {
            getContext().getLog().warn("[{}] already loading or loaded; ignoring a second Load", spec.entityId());
            return this;
        }
        spec = load.spec();
        coordinator = load.coordinator();
        String here = org.apache.pekko.cluster.typed.Cluster.get(getContext().getSystem()).selfMember().address()
                .toString();
        if (!here.equals(spec.nodeAddress())) {
            coordinator.tell(new PlacementCoordinator.ShardFailed(spec.instanceId(), spec.position(),
                    MISPLACED + "started on " + here + ", planned for " + spec.nodeAddress()));
            return Behaviors.stopped();
        }
        // a coordinator that is gone (its node left) took the placement with it: the instance is an orphan
        getContext().watch(coordinator);
        getContext().getLog().info("[{}] loading {} slice {}", spec.entityId(), spec.fileName(), spec.slice());
        ActorRef<Command> self = getContext().getSelf();
        ActorRef<PlacementCoordinator.Command> progressTo = coordinator;
        loadStarted = System.nanoTime();
        loading = CompletableFuture.supplyAsync(() -> {
            try {
                return LoadedShard.load(spec, host, e -> self.tell(new Broken(describe(e))), fetched ->
                        progressTo.tell(new PlacementCoordinator.ShardProgress(spec.instanceId(), spec.position(),
                                fetched)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, blocking);
        getContext().pipeToSelf(loading, (loaded, failure) -> new Loaded(loaded, failure));
        return this;
    }

    private Behavior<Command> onLoaded(Loaded l) {
        if (l.failure() != null) {
            coordinator.tell(new PlacementCoordinator.ShardFailed(spec.instanceId(), spec.position(),
                    describe(l.failure())));
            return Behaviors.stopped();
        }
        shard = l.shard();
        getContext().getLog().info("[{}] loaded {} MiB in {} ms", spec.entityId(), shard.bytes >> 20,
                (System.nanoTime() - loadStarted) / 1_000_000);
        host.loaded().put(spec.entityId(), new ShardHost.Loaded(spec.entityId(), spec.fileName(),
                spec.fileName() + " position " + spec.position() + " of " + spec.slices().size() + ": "
                        + spec.slice(), shard.bytes, spec.reservedBytes()));
        coordinator.tell(new PlacementCoordinator.ShardLoaded(spec.instanceId(), spec.position(),
                getContext().getSelf(), shard.bytes));
        return this;
    }

    private Behavior<Command> onConnect(Connect c) {
        if (shard == null) {
            return this;
        }
        LoadedShard s = shard;
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> s.connect(host.connectTimeout()), blocking),
                (ok, failure) -> new Connected(failure));
        return this;
    }

    private Behavior<Command> onConnected(Connected c) {
        if (c.failure() != null) {
            coordinator.tell(new PlacementCoordinator.ShardFailed(spec.instanceId(), spec.position(),
                    describe(c.failure())));
            return Behaviors.stopped();
        }
        if (spec.position() == 0) {
            ActorRef<Command> self = getContext().getSelf();
            supervisor = new InstanceSupervisor(spec.instanceId(), shard, spec.context(), spec.maxBatch(),
                    spec.maxQueue(), why -> self.tell(new Broken(why)));
        }
        getContext().getLog().info("[{}] connected", spec.entityId());
        coordinator.tell(new PlacementCoordinator.ShardConnected(spec.instanceId(), spec.position()));
        return this;
    }

    private Behavior<Command> onGenerate(Generate g) {
        if (supervisor == null) {
            g.replyTo().tell(new StreamEvent.Failed(new ServiceError.Internal(
                    "instance " + (spec == null ? "?" : spec.instanceId()) + " is not ready here"), true));
            return this;
        }
        supervisor.generate(g.job(), g.replyTo());
        return this;
    }

    private Behavior<Command> onCancel(Cancel c) {
        if (supervisor != null) {
            supervisor.cancel(c.stream());
        }
        return this;
    }

    private Behavior<Command> onBroken(Broken b) {
        if (spec != null && coordinator != null) {
            getContext().getLog().warn("[{}] broken: {}", spec.entityId(), b.reason());
            coordinator.tell(new PlacementCoordinator.InstanceBroken(spec.instanceId(), b.reason()));
        }
        return this;
    }

    private Behavior<Command> onPostStop() {
        if (shard == null && loading != null) {
            loading.thenAccept(LoadedShard::close);
        }
        if (supervisor != null) {
            supervisor.close();
        }
        if (shard != null) {
            host.loaded().remove(spec.entityId());
            shard.close();
            getContext().getLog().info("[{}] closed", spec.entityId());
        }
        return this;
    }

    private static String describe(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                ? t.getCause() : t;
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}
