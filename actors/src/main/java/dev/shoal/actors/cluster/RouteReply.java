package dev.shoal.actors.cluster;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * The placement coordinator's answer to "where does a request for this model run?". {@code routeKey} names what
 * the request occupies (a replica's node or an instance) so that its end can be reported with
 * {@link PlacementCoordinator.Released}.
 */
public sealed interface RouteReply extends ClusterMessage {

    /** On the asking node's own copy of the model (a replica here, or a cluster of one). */
    record ServeHere(String routeKey) implements RouteReply {
    }

    /** On another node's replica, through its agent. */
    record ServeOn(ActorRef<NodeAgent.Command> agent, String routeKey) implements RouteReply {
    }

    /** On a distributed instance, through its supervisor (position 0's worker). */
    record ServeDistributed(ActorRef<ShardWorker.Command> supervisor, String routeKey) implements RouteReply {
    }

    /** Nothing fits, and why (the planner's rejection, or a failed load). */
    record Unplaceable(String reason) implements RouteReply {
    }
}
