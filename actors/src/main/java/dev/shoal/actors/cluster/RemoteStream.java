package dev.shoal.actors.cluster;

import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.GenerationListener;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.sharding.ModelShape;
import dev.shoal.tensor.sample.StopReason;
import java.time.Duration;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One client request on the node that holds the client's connection: asks the placement coordinator where the
 * model runs, sends the job there, and passes the events to the client's listener. It keeps the ids of the tokens
 * streamed so far; when the node running the request dies (the runner's actor terminates, or the supervisor reports
 * a lost peer), it asks for a new placement and continues there from the prompt plus those tokens (a
 * {@link Prompt.Continuation}), so the client sees the same greedy tokens, only later. When no placement fits, or
 * the replays run out, the stream ends with an error event.
 */
final class RemoteStream extends AbstractBehavior<RemoteStream.Command> {

    sealed interface Command {
    }

    /** The client went away. */
    enum Cancel implements Command { INSTANCE }

    private record Event(StreamEvent event) implements Command {
    }

    private record Routed(RouteReply reply, Throwable failure) implements Command {
    }

    /** Replays one request may take (each needs a node death and a new placement). */
    static final int MAX_REPLAYS = 3;

    private final GenerationJob job;
    private final GenerationListener listener;
    private final String fileName;
    private final ModelShape shape;
    private final ActorRef<PlacementCoordinator.Command> coordinator;
    private final ActorRef<NodeAgent.Command> self;
    private final InferenceService local;
    private final Duration routeTimeout;
    private final ActorRef<StreamEvent> events;
    private final long submitted = System.nanoTime();
    private int[] generated = new int[32];
    private int count;
    private int replays;
    private int promptTokens = -1;
    private boolean cancelled;
    private String routeKey;
    /** The actor running the current attempt (a supervisor or an agent), or null while routing or running here. */
    private ActorRef<?> runner;
    /** Tells the current runner that the client left. */
    private Runnable cancelRunner = () -> { };
    private GenerationHandle localHandle;

    static Behavior<Command> create(GenerationJob job, GenerationListener listener, String fileName, ModelShape shape,
                                    ActorRef<PlacementCoordinator.Command> coordinator,
                                    ActorRef<NodeAgent.Command> self, InferenceService local, Duration routeTimeout) {
        return Behaviors.setup(context -> new RemoteStream(context, job, listener, fileName, shape, coordinator, self,
                local, routeTimeout));
    }

    private RemoteStream(ActorContext<Command> context, GenerationJob job, GenerationListener listener,
                         String fileName, ModelShape shape, ActorRef<PlacementCoordinator.Command> coordinator,
                         ActorRef<NodeAgent.Command> self, InferenceService local, Duration routeTimeout) {
        super(context);
        this.job = job;
        this.listener = listener;
        this.fileName = fileName;
        this.shape = shape;
        this.coordinator = coordinator;
        this.self = self;
        this.local = local;
        this.routeTimeout = routeTimeout;
        this.events = context.messageAdapter(StreamEvent.class, Event::new);
        route();
    }

    private void route() {
        getContext().ask(RouteReply.class, coordinator, routeTimeout,
                replyTo -> new PlacementCoordinator.Route(job.model(), fileName, shape, job.keepAlive(), self,
                        replyTo),
                Routed::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Routed.class, this::onRouted)
                .onMessage(Event.class, e -> onEvent(e.event()))
                .onMessage(Cancel.class, c -> onCancel())
                .onSignal(Terminated.class, t -> t.getRef().equals(runner)
                        ? replay("the node running it left the cluster") : this)
                .build();
    }

    private Behavior<Command> onRouted(Routed r) {
        if (r.failure() != null) {
            return fail(new ServiceError.Internal("no placement for model '" + job.model() + "' within "
                    + routeTimeout.toSeconds() + " s"));
        }
        switch (r.reply()) {
            case RouteReply.Unplaceable u -> {
                return fail(new ServiceError.Internal(count == 0 ? u.reason()
                        : "the generation was interrupted by a node leaving and cannot continue: " + u.reason()));
            }
            case RouteReply.ServeHere h -> {
                routeKey = h.routeKey();
                if (cancelled) {
                    return cancelledBeforeRunning();
                }
                localHandle = local.submit(attempt(), new EventForwarder(events, () -> { }));
            }
            case RouteReply.ServeOn on -> {
                routeKey = on.routeKey();
                if (cancelled) {
                    return cancelledBeforeRunning();
                }
                runner = on.agent();
                cancelRunner = () -> on.agent().tell(new NodeAgent.CancelLocal(events));
                getContext().watch(on.agent());
                on.agent().tell(new NodeAgent.RunLocal(attempt(), events));
            }
            case RouteReply.ServeDistributed d -> {
                routeKey = d.routeKey();
                if (cancelled) {
                    return cancelledBeforeRunning();
                }
                runner = d.supervisor();
                cancelRunner = () -> d.supervisor().tell(new ShardWorker.Cancel(events));
                getContext().watch(d.supervisor());
                d.supervisor().tell(new ShardWorker.Generate(attempt(), events));
            }
        }
        return this;
    }

    /** The job for this attempt: the original, or its continuation after the tokens already streamed. */
    private GenerationJob attempt() {
        if (count == 0) {
            return job;
        }
        int max = job.maxTokens() == 0 ? 0 : job.maxTokens() - count;
        return new GenerationJob(job.model(), new Prompt.Continuation(job.prompt(), Arrays.copyOf(generated, count)),
                job.sampling(), max, job.stop(), job.keepAlive());
    }

    private Behavior<Command> onEvent(StreamEvent e) {
        switch (e) {
            case StreamEvent.Started s -> {
                if (promptTokens < 0) {
                    promptTokens = s.promptTokens();
                    listener.onStart(promptTokens);
                }
            }
            case StreamEvent.Piece p -> {
                if (!p.text().isEmpty()) {
                    listener.onText(p.text());
                }
                if (count == generated.length) {
                    generated = Arrays.copyOf(generated, count * 2);
                }
                generated[count++] = p.id();
                listener.onToken(p.id());
            }
            case StreamEvent.Finished f -> {
                if (!f.tail().isEmpty()) {
                    listener.onText(f.tail());
                }
                Completion c = f.completion();
                int before = count - c.completionTokens();
                listener.onComplete(new Completion(promptTokens < 0 ? c.promptTokens() : promptTokens,
                        before + c.completionTokens(), c.stopReason(), c.loadNanos(), c.promptNanos(),
                        c.generationNanos(), System.nanoTime() - submitted));
                return finish();
            }
            case StreamEvent.Failed f -> {
                if (f.replayable() && !cancelled) {
                    return replay(f.error().message());
                }
                return fail(f.error());
            }
        }
        return this;
    }

    private Behavior<Command> replay(String why) {
        if (runner != null) {
            getContext().unwatch(runner);
            runner = null;
        }
        release();
        if (cancelled) {
            return cancelledBeforeRunning();
        }
        if (++replays > MAX_REPLAYS) {
            return fail(new ServiceError.Internal("the generation was interrupted " + MAX_REPLAYS
                    + " times by nodes leaving; last: " + why));
        }
        if (job.maxTokens() > 0 && count >= job.maxTokens()) {
            listener.onComplete(new Completion(Math.max(promptTokens, 0), count, StopReason.MAX_TOKENS, 0, 0, 0,
                    System.nanoTime() - submitted));
            return finish();
        }
        getContext().getLog().info("request for '{}' interrupted after {} tokens ({}); continuing on a new placement",
                job.model(), count, why);
        route();
        return this;
    }

    private Behavior<Command> onCancel() {
        cancelled = true;
        if (localHandle != null) {
            localHandle.cancel();
        }
        if (runner != null) {
            cancelRunner.run();
        }
        return this;
    }

    private Behavior<Command> cancelledBeforeRunning() {
        listener.onComplete(new Completion(Math.max(promptTokens, 0), count, StopReason.CANCELLED, 0, 0, 0,
                System.nanoTime() - submitted));
        return finish();
    }

    private Behavior<Command> fail(ServiceError error) {
        listener.onError(error);
        return finish();
    }

    private Behavior<Command> finish() {
        release();
        return Behaviors.stopped();
    }

    private void release() {
        if (routeKey != null) {
            coordinator.tell(new PlacementCoordinator.Released(routeKey));
            routeKey = null;
        }
    }
}
