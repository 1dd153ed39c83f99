package dev.shoal.actors;

import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.ModelEntry;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.NodeSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * {@link InferenceService} over the {@link ModelRegistry} and its {@link ModelInstance}s. Model listings read the
 * {@link ModelCatalog} and the published {@link LoadedModels} directly; a generation is one ask to the registry for
 * admission (model load included), after which tokens flow from the engine thread to the listener with no actor in
 * between.
 */
public final class ActorInferenceService implements InferenceService {

    private static final AtomicInteger STARTED = new AtomicInteger();

    private final ActorSystem<?> system;
    private final ModelCatalog catalog;
    private final LoadedModels loaded;
    private final ActorRef<ModelRegistry.Command> registry;
    private final CompletableFuture<Done> terminated;
    private final Duration admissionTimeout;
    /** Generations submitted whose listener has not had its terminal event yet. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopped;

    private ActorInferenceService(ActorSystem<?> system, ModelCatalog catalog, LoadedModels loaded,
                                  ActorRef<ModelRegistry.Command> registry, CompletableFuture<Done> terminated,
                                  Duration admissionTimeout) {
        this.system = system;
        this.catalog = catalog;
        this.loaded = loaded;
        this.registry = registry;
        this.terminated = terminated;
        this.admissionTimeout = admissionTimeout;
    }

    /**
     * Scans the models directory, starts the registry as a system actor (on the blocking dispatcher: it reads
     * model headers when rescanning) and asks it to load the preload list.
     */
    public static ActorInferenceService start(ActorSystem<?> system, NodeSettings settings) {
        ModelCatalog catalog = ModelCatalog.scan(settings.models().dir());
        LoadedModels loaded = new LoadedModels();
        CompletableFuture<Done> terminated = new CompletableFuture<>();
        int n = STARTED.getAndIncrement();
        String name = n == 0 ? "shoal-models" : "shoal-models-" + n;
        ActorRef<ModelRegistry.Command> registry = system.systemActorOf(
                ModelRegistry.create(catalog, settings, loaded, terminated), name, DispatcherSelector.blocking());
        for (String model : settings.models().preload()) {
            registry.tell(new ModelRegistry.Preload(model));
        }
        return new ActorInferenceService(system, catalog, loaded, registry, terminated,
                settings.models().loadTimeout());
    }

    @Override
    public List<ModelEntry> models() {
        return catalog.refresh();
    }

    @Override
    public Optional<ModelEntry> find(String name) {
        return catalog.find(name);
    }

    @Override
    public List<LoadedModel> loaded() {
        return loaded.now();
    }

    @Override
    public GenerationHandle submit(GenerationJob job, GenerationListener listener) {
        long submitted = System.nanoTime();
        PendingHandle handle = new PendingHandle();
        if (stopped) {
            listener.onError(new ServiceError.Internal("the node is shutting down"));
            return handle;
        }
        inFlight.incrementAndGet();
        OnceListener once = new OnceListener(listener, inFlight::decrementAndGet);
        CompletionStage<Admission> admission = AskPattern.ask(registry,
                replyTo -> new ModelRegistry.Generate(job, once, handle, submitted, replyTo), admissionTimeout,
                system.scheduler());
        admission.whenComplete((answer, failure) -> {
            if (failure != null) {
                handle.cancel();
                once.onError(new ServiceError.Internal(failure instanceof TimeoutException
                        || failure.getCause() instanceof TimeoutException
                        ? "the request was not admitted within " + admissionTimeout.toSeconds() + " s"
                        : "admission failed: " + failure));
                return;
            }
            switch (answer) {
                case Admission.Admitted admitted -> {
                }
                case Admission.Rejected rejected -> once.onError(rejected.error());
            }
        });
        return handle;
    }

    /** Generations running or waiting for admission now. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Completes when no generation is in flight, or when {@code deadline} has passed, whichever comes first: the
     * shutdown step that lets running streams finish before the models close.
     */
    public CompletionStage<Done> drain(Duration deadline) {
        return Drain.until(system, inFlight::get, deadline);
    }

    /** Stops the registry, unloading every model; completes when all are closed. Idempotent. */
    public CompletionStage<Done> stop() {
        stopped = true;
        registry.tell(ModelRegistry.Shutdown.INSTANCE);
        return terminated;
    }

    /** The models directory this service serves. */
    public java.nio.file.Path modelsDir() {
        return catalog.dir();
    }
}
