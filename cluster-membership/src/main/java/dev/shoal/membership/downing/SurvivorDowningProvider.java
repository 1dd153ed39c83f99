package dev.shoal.membership.downing;

import java.time.Duration;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.DowningProvider;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Shoal's downing strategy ({@code pekko.cluster.downing-provider-class}): once the cluster's view has been stable
 * for {@code pekko.cluster.split-brain-resolver.stable-after}, the larger side of an unreachability stays and downs
 * the other; a tie between two single nodes keeps <em>both</em> (each downs the other), because a two-node fleet —
 * a laptop docked to a desktop — must keep serving on whichever node survives, and a node cannot tell its peer's
 * crash from a cut link. Larger ties keep the side of the oldest member. See {@link SurvivorDowning} for the rule
 * and its price (a cut link between two live nodes makes two clusters of one until one is restarted).
 */
public final class SurvivorDowningProvider extends DowningProvider {

    private final Duration stableAfter;

    public SurvivorDowningProvider(ActorSystem system) {
        this.stableAfter = system.settings().config().getDuration("pekko.cluster.split-brain-resolver.stable-after");
    }

    @Override
    public FiniteDuration downRemovalMargin() {
        return FiniteDuration.fromNanos(stableAfter.toNanos());
    }

    @Override
    public Option<Props> downingActorProps() {
        return Option.apply(Props.create(SurvivorDowning.class, () -> new SurvivorDowning(stableAfter)));
    }
}
