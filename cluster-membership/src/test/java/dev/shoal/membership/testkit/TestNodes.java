package dev.shoal.membership.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.shoal.config.Machine;
import dev.shoal.config.NodeSettings;
import dev.shoal.membership.Membership;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Real cluster actor systems on 127.0.0.1 for tests: Artery TCP on a given port, cluster timings shortened so that
 * joining and failure detection take seconds, not tens of seconds.
 */
public final class TestNodes {

    /** 16 GiB RAM, 1 GiB heap, 4 processors: settings derived from it do not depend on the test machine. */
    public static final Machine MACHINE = new Machine(16L << 30, 1L << 30, 4);

    private TestNodes() {
    }

    /** The Pekko settings of one test node on {@code port}, over the libraries' defaults. */
    public static Config pekko(int port, List<String> seeds) {
        return ConfigFactory.parseMap(Map.of(
                        "pekko.remote.artery.canonical.port", port,
                        "pekko.cluster.seed-nodes", seeds))
                .withFallback(ConfigFactory.parseString("""
                        pekko {
                          loglevel = WARNING
                          actor.provider = cluster
                          remote.artery { transport = tcp, canonical.hostname = "127.0.0.1" }
                          cluster {
                            jmx.multi-mbeans-in-same-jvm = on
                            gossip-interval = 200 ms
                            leader-actions-interval = 200 ms
                            unreachable-nodes-reaper-interval = 200 ms
                            failure-detector { heartbeat-interval = 300 ms, acceptable-heartbeat-pause = 2 s }
                          }
                          coordinated-shutdown.run-by-jvm-shutdown-hook = off
                          log-dead-letters-during-shutdown = off
                        }
                        """));
    }

    /**
     * A node with bootstrap on, its management endpoint on 127.0.0.1:{@code management}, discovery as
     * {@code discovery} says, and bootstrap's pace shortened: probe every 200 ms, form a cluster after 1 s without
     * change.
     */
    public static Config bootstrapNode(int artery, int management, Config discovery) {
        return ConfigFactory.parseMap(Map.of(
                        "shoal.cluster.bootstrap.enabled", true,
                        "pekko.management.http.hostname", "127.0.0.1",
                        "pekko.management.http.port", management))
                .withFallback(discovery)
                .withFallback(ConfigFactory.parseString("""
                        pekko.management.cluster.bootstrap {
                          contact-point-discovery { interval = 200 ms, stable-margin = 1 s }
                          contact-point { probe-interval = 200 ms }
                        }
                        """))
                .withFallback(pekko(artery, List.of()));
    }

    public static String address(int port) {
        return "pekko://shoal@127.0.0.1:" + port;
    }

    /** Shoal's settings over {@code config}, with the fixed {@link #MACHINE}. */
    public static NodeSettings settings(Config config) {
        return NodeSettings.fromConfig(config, MACHINE);
    }

    /** A node as {@code ShoalNode} starts one: the system with {@link Membership#pekkoConfig} laid over. */
    public static ActorSystem<Void> system(Config config) {
        Config all = config.withFallback(ConfigFactory.defaultReference()).resolve();
        return ActorSystem.create(Behaviors.empty(), "shoal",
                Membership.pekkoConfig(settings(all), all).withFallback(all));
    }

    public static boolean allUp(ActorSystem<?> system, int members) {
        int up = 0;
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                up++;
            }
        }
        return up == members && Cluster.get(system).state().getUnreachable().isEmpty();
    }

    public static void awaitUp(ActorSystem<?> system, int members, Duration timeout) {
        Await.until(timeout, () -> allUp(system, members),
                () -> system.name() + "@" + Cluster.get(system).selfMember().address() + " sees "
                        + Cluster.get(system).state().getMembers() + " unreachable "
                        + Cluster.get(system).state().getUnreachable());
    }

    public static void terminate(ActorSystem<?>... systems) {
        for (ActorSystem<?> s : systems) {
            if (s != null) {
                s.terminate();
            }
        }
        for (ActorSystem<?> s : systems) {
            if (s != null) {
                try {
                    s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError("actor system did not terminate", e);
                }
            }
        }
    }
}
