package dev.shoal.membership.downing;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;

/**
 * The downing decision of {@link SurvivorDowningProvider}, made on every node from its own view once that view has
 * not changed for {@code stableAfter}:
 * <ul>
 *   <li>no member unreachable: nothing to do;</li>
 *   <li>more reachable members than unreachable ones (this node included): down the unreachable ones;</li>
 *   <li>fewer: down this node (the majority on the other side carries on);</li>
 *   <li>as many, one each (a cluster of two): down the other and stay — both nodes of a cut link stay up, each a
 *       cluster of one. A crashed peer is the common cause, and the survivor serving alone is what a two-node fleet
 *       needs; when the link heals the two cannot merge (each removed the other), and the node that learns it was
 *       downed shuts down, to be restarted and re-joined;</li>
 *   <li>as many, more than one each: the side with the oldest member stays (Pekko's keep-oldest rule).</li>
 * </ul>
 * Any node may issue a down; duplicates are harmless, and the leader of the surviving side carries them out.
 */
public final class SurvivorDowning extends AbstractActorWithTimers {

    private static final Object TICK = "tick";
    private static final Duration TICK_EVERY = Duration.ofMillis(500);

    private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
    private final Cluster cluster = Cluster.get(getContext().getSystem());
    private final Duration stableAfter;
    private long changedAt = System.nanoTime();
    private Set<Address> lastUnreachable = Set.of();
    private Set<Address> lastMembers = Set.of();

    public SurvivorDowning(Duration stableAfter) {
        this.stableAfter = stableAfter;
    }

    @Override
    public void preStart() {
        getTimers().startTimerWithFixedDelay(TICK, TICK, TICK_EVERY);
    }

    @Override
    public Receive createReceive() {
        return receiveBuilder().matchEquals(TICK, t -> tick()).build();
    }

    private void tick() {
        ClusterEvent.CurrentClusterState state = cluster.state();
        Set<Address> members = new HashSet<>();
        Set<Address> unreachable = new HashSet<>();
        Member oldest = null;
        for (Member m : state.getMembers()) {
            // members on their way out (leaving gracefully, or already downed) count on neither side: a node that
            // left and then stopped must not outvote the survivors
            MemberStatus st = m.status();
            if (st == MemberStatus.down() || st == MemberStatus.removed() || st == MemberStatus.leaving()
                    || st == MemberStatus.exiting()) {
                continue;
            }
            members.add(m.address());
            if (oldest == null || m.isOlderThan(oldest)) {
                oldest = m;
            }
        }
        for (Member m : state.getUnreachable()) {
            if (members.contains(m.address())) {
                unreachable.add(m.address());
            }
        }
        if (!unreachable.equals(lastUnreachable) || !members.equals(lastMembers)) {
            lastUnreachable = unreachable;
            lastMembers = members;
            changedAt = System.nanoTime();
            return;
        }
        if (unreachable.isEmpty() || System.nanoTime() - changedAt < stableAfter.toNanos()) {
            return;
        }
        int reachable = members.size() - unreachable.size();
        Address self = cluster.selfAddress();
        boolean keepThisSide;
        if (reachable != unreachable.size()) {
            keepThisSide = reachable > unreachable.size();
        } else if (reachable == 1) {
            keepThisSide = true;
        } else {
            keepThisSide = oldest != null && !unreachable.contains(oldest.address());
        }
        if (keepThisSide) {
            for (Address a : unreachable) {
                log.warning("downing unreachable member {} ({} reachable, {} unreachable, stable for {} ms)", a,
                        reachable, unreachable.size(), stableAfter.toMillis());
                cluster.down(a);
            }
        } else {
            log.warning("downing this node {}: {} reachable against {} unreachable", self, reachable,
                    unreachable.size());
            cluster.down(self);
        }
        // act once per stable view; a new view (the downs taking effect) restarts the clock
        changedAt = System.nanoTime();
    }
}
