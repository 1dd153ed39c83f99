package dev.shoal.actors.cluster;

import dev.shoal.actors.ActorInferenceService;
import dev.shoal.config.PlacementSettings;
import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.Planner;
import dev.shoal.sharding.PlannerSettings;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Starts a node's part of the cluster runtime: its {@link NodeAgent}, the {@link ShardWorker} entity type (external
 * shard allocation, no passivation: a worker holds its slice until the coordinator stops it, however long no actor
 * message reaches it — steps go over Aeron), the {@link PlacementCoordinator} singleton (on the oldest node, a proxy
 * here), and the {@link ClusterInferenceService} the HTTP layer uses.
 */
public final class ClusterServices {

    private static final Duration ALLOCATION_TIMEOUT = Duration.ofSeconds(10);

    private final ClusterInferenceService service;
    private final ActorRef<NodeAgent.Command> agent;

    private ClusterServices(ClusterInferenceService service, ActorRef<NodeAgent.Command> agent) {
        this.service = service;
        this.agent = agent;
    }

    /**
     * Offers this node to the placement coordinator (its agent registers with the receptionist); call once the node
     * has joined and its profile is complete.
     */
    public void publish() {
        agent.tell(NodeAgent.Publish.INSTANCE);
    }

    /**
     * @param profile      this node's offer, asked again whenever the coordinator asks
     * @param contextLength tokens per sequence of distributed instances
     * @param routeTimeout how long a request may wait for its placement, on top of the placement's load timeout
     * @param keepAlive    how long a distributed instance stays loaded with nothing to do; null = for ever
     */
    public static ClusterServices start(ActorSystem<?> system, ActorInferenceService local, Supplier<NodeProfile> profile,
                                        ShardHost host, PlacementSettings placement, int contextLength, int maxBatch,
                                        int maxQueue, Duration routeTimeout, Duration keepAlive) {
        ActorRef<NodeAgent.Command> agent = system.systemActorOf(NodeAgent.create(profile, local, host), "shoal-agent",
                org.apache.pekko.actor.typed.Props.empty());
        ClusterSharding.get(system).init(Entity.of(ShardWorker.KEY, ctx -> ShardWorker.create(host))
                .withMessageExtractor(new ShardRouting())
                .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, ShardWorker.KEY.name(),
                        ALLOCATION_TIMEOUT))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
        ActorRef<PlacementCoordinator.Command> coordinator = ClusterSingleton.get(system).init(SingletonActor.of(
                PlacementCoordinator.create(placement, new Planner(PlannerSettings.DEFAULTS.withFastLink(
                                placement.fastLinkRoundTrip().toNanos() / 1000, placement.fastLinkBytesPerSecond())),
                        contextLength, maxBatch, maxQueue,
                        keepAlive),
                "shoal-placement"));
        ClusterInferenceService service = new ClusterInferenceService(system, local, coordinator, agent, host,
                placement, routeTimeout);
        return new ClusterServices(service, agent);
    }

    public ClusterInferenceService service() {
        return service;
    }
}
