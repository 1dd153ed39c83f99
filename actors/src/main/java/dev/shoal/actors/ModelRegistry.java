package dev.shoal.actors;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.NodeSettings;
import dev.shoal.tensor.generate.LocalModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The node's models: resolves names through the {@link ModelCatalog}, loads a model on its first request (or at
 * start-up for {@code shoal.models.preload}), keeps it within the memory budget and {@code max-loaded}, and
 * unloads it when idle. Each loaded model is a {@link ModelInstance} child.
 *
 * <p>Memory: a model is charged its file size plus the KV caches of a full batch
 * ({@link ModelFile#residentBytes}). A model that does not fit next to the busy ones is refused with
 * {@link ServiceError.DoesNotFit}; to make room, idle models are unloaded least recently used first, and only when
 * that is enough.
 *
 * <p>The registry counts requests it has forwarded to each instance and not yet heard the end of. A count of zero
 * means nothing is running there and nothing is on its way, so only then may it unload the instance (on
 * keep-alive expiry or to make room) without losing a request. Loading runs on the blocking dispatcher; requests
 * for a model being loaded wait here and are forwarded when it is ready.
 */
public final class ModelRegistry extends AbstractBehavior<ModelRegistry.Command> {

    public sealed interface Command {
    }

    /** A request to generate; admitted or refused through {@code replyTo}. */
    record Generate(GenerationJob job, GenerationListener listener, PendingHandle handle, long submittedNanos,
                    ActorRef<Admission> replyTo) implements Command {
    }

    /** Load a model now rather than on its first request; unknown names are logged. */
    public record Preload(String name) implements Command {
    }

    /** Stop, unloading every model (running sequences end as CANCELLED). */
    public enum Shutdown implements Command { INSTANCE }

    /** An instance finished (or refused) one request forwarded to it. */
    record RequestFinished(ActorRef<ModelInstance.Command> instance) implements Command {
    }

    /** An instance has been idle for its keep-alive. */
    record IdleExpired(ActorRef<ModelInstance.Command> instance) implements Command {
    }

    private record LoadDone(String name, LocalModel model, Throwable failure) implements Command {
    }

    private record InstanceStopped(ActorRef<ModelInstance.Command> instance) implements Command {
    }

    /** A loaded model as the registry tracks it. */
    private static final class Resident {
        final ModelFile file;
        final ActorRef<ModelInstance.Command> ref;
        final long bytes;
        final InstanceGauge gauge;
        /** Requests forwarded and not yet reported finished. */
        int outstanding;
        long lastUsedNanos = System.nanoTime();

        Resident(ModelFile file, ActorRef<ModelInstance.Command> ref, long bytes, InstanceGauge gauge) {
            this.file = file;
            this.ref = ref;
            this.bytes = bytes;
            this.gauge = gauge;
        }
    }

    /** A model being opened, with the requests waiting for it. */
    private static final class Loading {
        final ModelFile file;
        final long bytes;
        final long startNanos = System.nanoTime();
        final List<Generate> waiting = new ArrayList<>();
        CompletableFuture<LocalModel> future;

        Loading(ModelFile file, long bytes) {
            this.file = file;
            this.bytes = bytes;
        }
    }

    private static final int RETRY_AFTER_WHEN_ALL_BUSY = 5;

    private final ModelCatalog catalog;
    private final NodeSettings settings;
    private final LoadedModels published;
    private final CompletableFuture<Done> terminated;
    private final Executor blocking;
    private final Map<String, Resident> residents = new LinkedHashMap<>();
    private final Map<String, Loading> loading = new HashMap<>();
    private int spawned;

    static Behavior<Command> create(ModelCatalog catalog, NodeSettings settings, LoadedModels published,
                                    CompletableFuture<Done> terminated) {
        return Behaviors.setup(context -> new ModelRegistry(context, catalog, settings, published, terminated));
    }

    private ModelRegistry(ActorContext<Command> context, ModelCatalog catalog, NodeSettings settings,
                          LoadedModels published, CompletableFuture<Done> terminated) {
        super(context);
        this.catalog = catalog;
        this.settings = settings;
        this.published = published;
        this.terminated = terminated;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Generate.class, this::onGenerate)
                .onMessage(Preload.class, this::onPreload)
                .onMessage(LoadDone.class, this::onLoadDone)
                .onMessage(RequestFinished.class, this::onRequestFinished)
                .onMessage(IdleExpired.class, this::onIdleExpired)
                .onMessage(InstanceStopped.class, this::onInstanceStopped)
                .onMessage(Shutdown.class, notUsed -> Behaviors.stopped())
                .onSignal(PostStop.class, notUsed -> onPostStop())
                .build();
    }

    private Behavior<Command> onGenerate(Generate g) {
        String name = g.job() == null ? null : g.job().model();
        if (name == null || name.isBlank()) {
            g.replyTo().tell(new Admission.Rejected(new ServiceError.InvalidRequest("model is required", "model")));
            return this;
        }
        Optional<ModelFile> file = catalog.findFile(name);
        if (file.isEmpty()) {
            g.replyTo().tell(new Admission.Rejected(new ServiceError.ModelNotFound(name)));
            return this;
        }
        String key = file.get().name();
        Resident r = residents.get(key);
        Loading l = loading.get(key);
        if (r != null) {
            forward(r, g, 0);
        } else if (l != null) {
            l.waiting.add(g);
        } else {
            startLoad(file.get()).ifPresentOrElse(
                    error -> g.replyTo().tell(new Admission.Rejected(error)),
                    () -> loading.get(key).waiting.add(g));
        }
        return this;
    }

    private Behavior<Command> onPreload(Preload p) {
        Optional<ModelFile> file = catalog.findFile(p.name());
        if (file.isEmpty()) {
            getContext().getLog().warn("preload: no model named '{}' in {}", p.name(), catalog.dir());
        } else if (!residents.containsKey(file.get().name()) && !loading.containsKey(file.get().name())) {
            startLoad(file.get()).ifPresent(error ->
                    getContext().getLog().warn("preload of '{}' refused: {}", p.name(), error.message()));
        }
        return this;
    }

    private void forward(Resident r, Generate g, long loadNanos) {
        r.outstanding++;
        r.lastUsedNanos = System.nanoTime();
        r.ref.tell(new ModelInstance.Submit(g.job(), g.listener(), g.handle(), g.submittedNanos(), loadNanos,
                g.replyTo()));
    }

    /** Makes room and starts opening {@code file} off the actor's thread; the refusal when it cannot. */
    private Optional<ServiceError> startLoad(ModelFile file) {
        int context = settings.engine().contextLength();
        int batch = settings.engine().maxBatch();
        long needed = file.residentBytes(context, batch);
        Optional<ServiceError> refused = makeRoom(file.name(), needed);
        if (refused.isPresent()) {
            return refused;
        }
        Loading l = new Loading(file, needed);
        loading.put(file.name(), l);
        int threads = settings.engine().threads();
        int modelBatch = LocalModel.rowsFor(batch);
        l.future = CompletableFuture.supplyAsync(() -> {
            try {
                return LocalModel.open(file.entry().path(), threads, context, modelBatch);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking);
        getContext().pipeToSelf(l.future, (model, failure) -> new LoadDone(file.name(), model, failure));
        getContext().getLog().info("[{}] loading {} ({} MiB with KV caches)", file.name(), file.entry().path(),
                needed >> 20);
        return Optional.empty();
    }

    /**
     * Unloads least recently used idle models until {@code needed} more bytes and one more model fit; unloads
     * nothing when even that would not be enough.
     */
    private Optional<ServiceError> makeRoom(String name, long needed) {
        long budget = settings.memory().budgetBytes();
        int maxLoaded = settings.models().maxLoaded();
        long held = residents.values().stream().mapToLong(r -> r.bytes).sum()
                + loading.values().stream().mapToLong(l -> l.bytes).sum();
        int count = residents.size() + loading.size();
        if (held + needed <= budget && count < maxLoaded) {
            return Optional.empty();
        }
        List<Resident> idle = residents.values().stream().filter(r -> r.outstanding == 0)
                .sorted(Comparator.comparingLong(r -> r.lastUsedNanos)).toList();
        long busyHeld = held - idle.stream().mapToLong(r -> r.bytes).sum();
        if (needed > budget - busyHeld) {
            return Optional.of(new ServiceError.DoesNotFit(name, needed, Math.max(0, budget - busyHeld)));
        }
        if (count - idle.size() >= maxLoaded) {
            return Optional.of(new ServiceError.Overloaded(RETRY_AFTER_WHEN_ALL_BUSY));
        }
        for (Resident r : idle) {
            if (held + needed <= budget && count < maxLoaded) {
                break;
            }
            unload(r, "to make room for '" + name + "'");
            held -= r.bytes;
            count--;
        }
        return Optional.empty();
    }

    private Behavior<Command> onLoadDone(LoadDone d) {
        Loading l = loading.remove(d.name());
        if (l == null) {
            if (d.model() != null) {
                d.model().close();
            }
            return this;
        }
        if (d.failure() != null) {
            Throwable cause = d.failure() instanceof java.util.concurrent.CompletionException
                    || d.failure() instanceof UncheckedIOException ? d.failure().getCause() : d.failure();
            String why = cause == null ? String.valueOf(d.failure())
                    : cause.getMessage() == null ? cause.toString() : cause.getMessage();
            getContext().getLog().warn("[{}] cannot be loaded: {}", d.name(), why);
            for (Generate g : l.waiting) {
                g.replyTo().tell(new Admission.Rejected(
                        new ServiceError.Internal("model '" + d.name() + "' cannot be loaded: " + why)));
            }
            return this;
        }
        long loadNanos = System.nanoTime() - l.startNanos;
        InstanceGauge gauge = new InstanceGauge();
        ActorRef<ModelInstance.Command> ref = getContext().spawn(
                ModelInstance.create(l.file, d.model(), settings.engine(), settings.models().keepAlive(),
                        getContext().getSelf(), gauge),
                actorName(d.name()), DispatcherSelector.blocking());
        getContext().watchWith(ref, new InstanceStopped(ref));
        Resident r = new Resident(l.file, ref, l.bytes, gauge);
        residents.put(d.name(), r);
        publish();
        getContext().getLog().info("[{}] loaded in {} ms (context {}, {} threads)", d.name(), loadNanos / 1_000_000,
                d.model().context(), settings.engine().threads());
        for (Generate g : l.waiting) {
            forward(r, g, loadNanos);
        }
        return this;
    }

    private Behavior<Command> onRequestFinished(RequestFinished f) {
        residentOf(f.instance()).ifPresent(r -> {
            r.outstanding--;
            r.lastUsedNanos = System.nanoTime();
        });
        return this;
    }

    private Behavior<Command> onIdleExpired(IdleExpired e) {
        residentOf(e.instance()).filter(r -> r.outstanding == 0).ifPresent(r -> unload(r, "idle for its keep-alive"));
        return this;
    }

    private Behavior<Command> onInstanceStopped(InstanceStopped s) {
        residentOf(s.instance()).ifPresent(r -> {
            // not unloaded by us: the instance failed; requests forwarded to it are lost
            getContext().getLog().warn("[{}] stopped unexpectedly with {} request(s) in flight", r.file.name(),
                    r.outstanding);
            residents.remove(r.file.name());
            publish();
        });
        return this;
    }

    private void unload(Resident r, String why) {
        getContext().getLog().info("[{}] unloading: {}", r.file.name(), why);
        residents.remove(r.file.name());
        publish();
        r.ref.tell(ModelInstance.Unload.INSTANCE);
    }

    private Optional<Resident> residentOf(ActorRef<ModelInstance.Command> ref) {
        return residents.values().stream().filter(r -> r.ref.equals(ref)).findFirst();
    }

    private void publish() {
        published.publish(residents.values().stream()
                .map(r -> new LoadedModels.Resident(r.file.entry(), r.bytes, r.gauge)).toList());
    }

    /** Actor names allow a restricted alphabet; model names may hold anything, so keep a safe part and a counter. */
    private String actorName(String model) {
        return "model-" + model.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + (++spawned);
    }

    private Behavior<Command> onPostStop() {
        for (Loading l : loading.values()) {
            l.future.thenAccept(LocalModel::close);
            for (Generate g : l.waiting) {
                g.replyTo().tell(new Admission.Rejected(new ServiceError.Internal("the node is shutting down")));
            }
        }
        loading.clear();
        residents.clear();
        published.publish(List.of());
        terminated.complete(Done.getInstance());
        return this;
    }
}
