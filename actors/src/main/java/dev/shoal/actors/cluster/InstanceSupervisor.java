package dev.shoal.actors.cluster;

import dev.shoal.actors.JobValidation;
import dev.shoal.actors.PromptEncoder;
import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.tensor.chat.ChatTemplateException;
import dev.shoal.tensor.generate.BatchScheduler;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.QueueFullException;
import dev.shoal.tensor.generate.SequenceHandle;
import dev.shoal.tensor.generate.SequenceListener;
import dev.shoal.tensor.generate.SequenceRequest;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.transport.PeerUnavailableException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The admitting and step-driving end of a distributed instance, at position 0: continuous batching
 * ({@link BatchScheduler}) over the instance's {@link dev.shoal.transport.step.DistributedStepModel}, so every
 * decode step crosses Aeron to the other positions and no actor sees it. Events go to each requester's
 * {@link RemoteStream} as {@link StreamEvent}s, one per sampled token; a step that fails because a peer is gone
 * fails every running sequence as replayable and reports the instance broken.
 */
final class InstanceSupervisor implements AutoCloseable {

    private final String instanceId;
    private final LoadedShard shard;
    private final int context;
    private final BatchScheduler scheduler;
    private final Consumer<String> onBroken;
    private final Map<ActorRef<StreamEvent>, SequenceHandle> running = new ConcurrentHashMap<>();
    private final Map<ActorRef<StreamEvent>, Bridge> bridges = new ConcurrentHashMap<>();

    InstanceSupervisor(String instanceId, LoadedShard shard, int context, int maxBatch, int maxQueue,
                       Consumer<String> onBroken) {
        this.instanceId = instanceId;
        this.shard = shard;
        this.context = context;
        this.onBroken = onBroken;
        this.scheduler = new BatchScheduler(shard.model, shard.tokenizer, context, maxBatch, maxQueue);
    }

    /** Admits {@code job} or answers {@code replyTo} with why not; called on the worker actor's thread. */
    void generate(GenerationJob job, ActorRef<StreamEvent> replyTo) {
        ServiceError invalid = JobValidation.check(job);
        if (invalid != null) {
            replyTo.tell(new StreamEvent.Failed(invalid, false));
            return;
        }
        int[] ids;
        try {
            ids = PromptEncoder.encode(shard.tokenizer, shard.template, job.prompt());
        } catch (ChatTemplateException e) {
            replyTo.tell(new StreamEvent.Failed(new ServiceError.InvalidRequest(e.getMessage(), "messages"), false));
            return;
        } catch (IllegalArgumentException e) {
            replyTo.tell(new StreamEvent.Failed(new ServiceError.InvalidRequest(e.getMessage(), "prompt"), false));
            return;
        }
        int promptTokens = Math.max(1, ids.length);
        if (promptTokens >= context) {
            replyTo.tell(new StreamEvent.Failed(new ServiceError.ContextOverflow(promptTokens, context), false));
            return;
        }
        GenerationLimits limits = job.maxTokens() == 0 ? GenerationLimits.contextOnly(context)
                : new GenerationLimits(job.maxTokens(), context);
        SamplingParams sampling = job.sampling() != null ? job.sampling() : SamplingParams.defaults();
        List<String> stops = job.stop() != null ? job.stop() : List.of();
        Bridge bridge = new Bridge(replyTo);
        bridges.put(replyTo, bridge);
        try {
            running.put(replyTo, scheduler.submit(new SequenceRequest(ids, sampling, limits, stops,
                    PromptEncoder.resumed(job.prompt())), bridge));
        } catch (QueueFullException e) {
            bridges.remove(replyTo);
            replyTo.tell(new StreamEvent.Failed(new ServiceError.Overloaded(5), false));
        } catch (IllegalArgumentException e) {
            bridges.remove(replyTo);
            replyTo.tell(new StreamEvent.Failed(new ServiceError.InvalidRequest(e.getMessage(), null), false));
        } catch (IllegalStateException e) {
            bridges.remove(replyTo);
            // the scheduler is closed: the instance is going away, the request can run on the next one
            replyTo.tell(new StreamEvent.Failed(new ServiceError.Internal(instanceId + ": " + e.getMessage()), true));
        }
    }

    void cancel(ActorRef<StreamEvent> stream) {
        SequenceHandle h = running.get(stream);
        if (h != null) {
            h.cancel();
        }
    }

    /**
     * Stops the instance's engine. Sequences still running are not ended as cancelled: their clients' nodes are
     * told to continue them elsewhere ({@code reason}, replayable) — the instance goes because the placement moved
     * or its coordinator is gone, not because the client left. The engine thread is stopped first, so nothing of
     * this instance reaches a client after that message.
     */
    void close(String reason) {
        bridges.values().forEach(Bridge::silence);
        scheduler.close();
        for (Bridge b : bridges.values()) {
            b.replyTo.tell(new StreamEvent.Failed(new ServiceError.Internal(reason), true));
        }
        bridges.clear();
        running.clear();
    }

    @Override
    public void close() {
        close("instance " + instanceId + " stopped");
    }

    /** One sequence's events as stream messages; text is sent with the token that completed it. */
    private final class Bridge implements SequenceListener {
        private final ActorRef<StreamEvent> replyTo;
        private final long submitted = System.nanoTime();
        private final StringBuilder pending = new StringBuilder();
        /** Set before the engine stops: the sequence's end is reported by {@link #close(String)}, not here. */
        private volatile boolean silenced;

        void silence() {
            silenced = true;
        }

        Bridge(ActorRef<StreamEvent> replyTo) {
            this.replyTo = replyTo;
        }

        @Override
        public void onStart(int promptTokens) {
            if (!silenced) {
                replyTo.tell(new StreamEvent.Started(promptTokens));
            }
        }

        @Override
        public void onText(String text) {
            pending.append(text);
        }

        @Override
        public void onToken(int id) {
            if (!silenced) {
                replyTo.tell(new StreamEvent.Piece(take(), id));
            }
        }

        @Override
        public void onDone(GenerationResult r) {
            if (silenced) {
                return;
            }
            running.remove(replyTo);
            bridges.remove(replyTo);
            replyTo.tell(new StreamEvent.Finished(take(), new Completion(r.promptTokens(), r.generatedTokens(),
                    r.stopReason(), 0, r.promptNanos(), r.generationNanos(), System.nanoTime() - submitted)));
        }

        @Override
        public void onError(RuntimeException error) {
            if (silenced) {
                return;
            }
            running.remove(replyTo);
            bridges.remove(replyTo);
            boolean peerLost = causedByPeerLoss(error);
            String why = error.getMessage() == null ? error.toString() : error.getMessage();
            replyTo.tell(new StreamEvent.Failed(new ServiceError.Internal(
                    "instance " + instanceId + " failed: " + why), peerLost));
            if (peerLost) {
                onBroken.accept(why);
            }
        }

        private String take() {
            String s = pending.toString();
            pending.setLength(0);
            return s;
        }
    }

    static boolean causedByPeerLoss(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PeerUnavailableException) {
                return true;
            }
        }
        return false;
    }
}
