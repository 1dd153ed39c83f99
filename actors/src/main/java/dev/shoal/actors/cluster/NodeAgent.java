package dev.shoal.actors.cluster;

import dev.shoal.actors.api.GenerationHandle;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.InferenceService;
import dev.shoal.membership.NodeProfile;
import java.util.HashMap;
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
 * (what the planner may use here) and runs whole-model generations for requests routed to this node's replica
 * from another node, streaming their events back as {@link StreamEvent}s.
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

    private final Supplier<NodeProfile> profile;
    private final InferenceService local;
    private final Map<ActorRef<StreamEvent>, GenerationHandle> running = new HashMap<>();

    public static Behavior<Command> create(Supplier<NodeProfile> profile, InferenceService local) {
        return Behaviors.setup(context -> new NodeAgent(context, profile, local));
    }

    private NodeAgent(ActorContext<Command> context, Supplier<NodeProfile> profile, InferenceService local) {
        super(context);
        this.profile = profile;
        this.local = local;
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

    private Behavior<Command> onRunLocal(RunLocal r) {
        ActorRef<Command> self = getContext().getSelf();
        ActorRef<StreamEvent> to = r.replyTo();
        running.put(to, local.submit(r.job(), new EventForwarder(to, () -> self.tell(new Ended(to)))));
        return this;
    }
}
