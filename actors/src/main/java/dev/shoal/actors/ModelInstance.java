package dev.shoal.actors;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.EngineSettings;
import dev.shoal.tensor.chat.ChatTemplateException;
import dev.shoal.tensor.generate.BatchScheduler;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.generate.QueueFullException;
import dev.shoal.tensor.generate.SequenceHandle;
import dev.shoal.tensor.generate.SequenceRequest;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One loaded model: owns the {@link LocalModel} and its {@link BatchScheduler}, admits requests (prompt to ids,
 * parameter checks, queue limits) and tracks idle time. Tokens never pass through this actor: the engine thread
 * calls the client's listener directly; the actor hears of a request only when it is submitted and when it ends.
 *
 * <p>Unloading is the registry's decision, because only the registry knows whether a request is already on its
 * way here: when keep-alive runs out with nothing running, the instance tells the registry, which answers with
 * {@link Unload} if no request is in flight. Stopping closes the scheduler (running sequences end CANCELLED,
 * queued ones fail) and then the model's mapping.
 */
public final class ModelInstance extends AbstractBehavior<ModelInstance.Command> {

    public sealed interface Command {
    }

    /** Admit one request; the answer goes to {@code replyTo}, the events to {@code listener}. */
    record Submit(GenerationJob job, GenerationListener listener, PendingHandle handle, long submittedNanos,
                  long loadNanos, ActorRef<Admission> replyTo) implements Command {
    }

    /** Stop and close the model (from the registry only). */
    enum Unload implements Command { INSTANCE }

    /** A sequence of this instance ended, after {@code nanos} from submission; sent from the engine thread. */
    private record SequenceEnded(long nanos) implements Command {
    }

    private enum IdleTimeout implements Command { INSTANCE }

    /** Seconds a request takes, before any has finished here (for the first Retry-After). */
    private static final double INITIAL_REQUEST_SECONDS = 2;
    private static final int MAX_RETRY_AFTER_SECONDS = 60;
    /**
     * Keep-alives longer than this never expire: Pekko's scheduler refuses delays past about 248 days, and clients
     * say "forever" with huge values (the HTTP layer's Ollama {@code keep_alive: -1} is a thousand years).
     */
    static final Duration LONGEST_TIMER = Duration.ofDays(200);

    private final ModelFile file;
    private final LocalModel model;
    private final BatchScheduler scheduler;
    private final Duration defaultKeepAlive;
    private final ActorRef<ModelRegistry.Command> registry;
    private final InstanceGauge gauge;
    private final TimerScheduler<Command> timers;
    /** Requests handed to the scheduler whose end has not been reported yet. */
    private int running;
    private Duration keepAlive;
    /** Moving average of request duration, for Retry-After. */
    private double requestSeconds = INITIAL_REQUEST_SECONDS;

    static Behavior<Command> create(ModelFile file, LocalModel model, EngineSettings engine,
                                           Duration defaultKeepAlive, ActorRef<ModelRegistry.Command> registry,
                                           InstanceGauge gauge) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new ModelInstance(context, timers, file,
                model, engine, defaultKeepAlive, registry, gauge)));
    }

    private ModelInstance(ActorContext<Command> context, TimerScheduler<Command> timers, ModelFile file,
                          LocalModel model, EngineSettings engine, Duration defaultKeepAlive,
                          ActorRef<ModelRegistry.Command> registry, InstanceGauge gauge) {
        super(context);
        this.timers = timers;
        this.file = file;
        this.model = model;
        this.defaultKeepAlive = defaultKeepAlive;
        this.keepAlive = defaultKeepAlive;
        this.registry = registry;
        this.gauge = gauge;
        this.scheduler = new BatchScheduler(model, engine.maxBatch(), engine.maxQueue());
        gauge.scheduler(scheduler);
        armIdleTimer();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(SequenceEnded.class, this::onSequenceEnded)
                .onMessage(IdleTimeout.class, notUsed -> onIdleTimeout())
                .onMessage(Unload.class, notUsed -> Behaviors.stopped())
                .onSignal(PostStop.class, notUsed -> onPostStop())
                .build();
    }

    private Behavior<Command> onSubmit(Submit s) {
        timers.cancel(IdleTimeout.INSTANCE);
        // as in Ollama, each request sets the keep-alive that follows it; without one, the node's default
        keepAlive = s.job() != null && s.job().keepAlive() != null ? s.job().keepAlive() : defaultKeepAlive;
        if (s.handle().cancelled()) {
            // cancelled while waiting for admission (or the model's load): end it here, without the engine
            s.listener().onComplete(new Completion(0, 0, StopReason.CANCELLED, s.loadNanos(), 0, 0,
                    System.nanoTime() - s.submittedNanos()));
            finishedWithoutRunning();
            s.replyTo().tell(Admission.Admitted.INSTANCE);
            return this;
        }
        Admission a;
        try {
            a = admit(s);
        } catch (RuntimeException e) {
            // a bug or an unexpected tokenizer failure must not stop the instance (requests on their way would
            // be lost); refuse this one request instead
            getContext().getLog().warn("[{}] admission failed", file.name(), e);
            a = new Admission.Rejected(new ServiceError.Internal("model '" + file.name() + "': " + e));
        }
        switch (a) {
            case Admission.Admitted admitted -> {
                running++;
                gauge.admitted(running);
                gauge.busy(keepAlive);
            }
            case Admission.Rejected rejected -> finishedWithoutRunning();
        }
        s.replyTo().tell(a);
        return this;
    }

    private void finishedWithoutRunning() {
        registry.tell(new ModelRegistry.RequestFinished(getContext().getSelf()));
        if (running == 0) {
            armIdleTimer();
        }
    }

    private Admission admit(Submit s) {
        GenerationJob job = s.job();
        ServiceError invalid = JobValidation.check(job);
        if (invalid != null) {
            return new Admission.Rejected(invalid);
        }
        int[] ids;
        try {
            ids = PromptEncoder.encode(model.tokenizer(), model.chatTemplate(), job.prompt());
        } catch (ChatTemplateException e) {
            return new Admission.Rejected(new ServiceError.InvalidRequest(e.getMessage(), "messages"));
        }
        int context = model.context();
        int promptTokens = Math.max(1, ids.length); // an empty prompt starts from BOS
        if (promptTokens >= context) {
            return new Admission.Rejected(new ServiceError.ContextOverflow(promptTokens, context));
        }
        GenerationLimits limits = job.maxTokens() == 0 ? GenerationLimits.contextOnly(context)
                : new GenerationLimits(job.maxTokens(), context);
        SamplingParams sampling = job.sampling() != null ? job.sampling() : SamplingParams.defaults();
        List<String> stops = job.stop() != null ? job.stop() : List.of();
        ActorRef<Command> self = getContext().getSelf();
        ListenerBridge bridge = new ListenerBridge(s.listener(), s.submittedNanos(), s.loadNanos(),
                nanos -> self.tell(new SequenceEnded(nanos)));
        SequenceHandle h;
        try {
            h = scheduler.submit(new SequenceRequest(ids, sampling, limits, stops,
                    PromptEncoder.resumed(job.prompt())), bridge);
        } catch (QueueFullException e) {
            return new Admission.Rejected(new ServiceError.Overloaded(retryAfterSeconds()));
        } catch (IllegalArgumentException e) {
            return new Admission.Rejected(new ServiceError.InvalidRequest(e.getMessage(), null));
        } catch (IllegalStateException e) {
            return new Admission.Rejected(new ServiceError.Internal("model '" + file.name() + "': " + e.getMessage()));
        }
        bridge.handle(h);
        s.handle().attach(h);
        return Admission.Admitted.INSTANCE;
    }

    /** Time for the queue ahead to drain through the batch, from the recent request duration; 1 to 60 s. */
    private int retryAfterSeconds() {
        double waves = (scheduler.queued() + 1.0) / Math.max(1, scheduler.maxSequences());
        return (int) Math.max(1, Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(requestSeconds * waves)));
    }

    private Behavior<Command> onSequenceEnded(SequenceEnded e) {
        running--;
        gauge.admitted(running);
        requestSeconds = 0.8 * requestSeconds + 0.2 * (e.nanos() / 1e9);
        registry.tell(new ModelRegistry.RequestFinished(getContext().getSelf()));
        if (running == 0) {
            armIdleTimer();
        }
        return this;
    }

    private void armIdleTimer() {
        gauge.idle(keepAlive, Instant.now());
        if (!keepAlive.isNegative() && keepAlive.compareTo(LONGEST_TIMER) <= 0) {
            timers.startSingleTimer(IdleTimeout.INSTANCE, keepAlive);
        }
    }

    private Behavior<Command> onIdleTimeout() {
        if (running == 0) {
            getContext().getLog().debug("[{}] idle for {}; asking to be unloaded", file.name(), keepAlive);
            registry.tell(new ModelRegistry.IdleExpired(getContext().getSelf()));
        }
        return this;
    }

    private Behavior<Command> onPostStop() {
        scheduler.close();
        model.close();
        getContext().getLog().info("[{}] unloaded", file.name());
        return this;
    }
}
