package dev.shoal.actors.cluster;

import dev.shoal.actors.ActorInferenceService;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.LoadedModel;
import dev.shoal.membership.NodeStatusSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What this node does, for its JMX bean: a snapshot refreshed every {@link #EVERY} from the cluster view (members'
 * capabilities, placements) and this node's own slices and loaded models, so that JMX threads never wait on an
 * actor. Tokens/s is the rate of tokens streamed to this node's clients over the last refresh period.
 */
public final class NodeStatus implements NodeStatusSource, AutoCloseable {

    static final Duration EVERY = Duration.ofSeconds(2);

    private final ClusterInferenceService service;
    private final ActorInferenceService local;
    private final ShardHost host;
    private final AtomicReference<ClusterState> last = new AtomicReference<>();
    private final Cancellable refresh;
    private volatile double tokensPerSecond;
    private long lastTokens;
    private long lastNanos = System.nanoTime();

    public NodeStatus(ActorSystem<?> system, ClusterInferenceService service, ActorInferenceService local,
                      ShardHost host) {
        this.service = service;
        this.local = local;
        this.host = host;
        this.refresh = system.scheduler().scheduleAtFixedRate(Duration.ZERO, EVERY, this::refresh,
                system.executionContext());
    }

    private synchronized void refresh() {
        long now = System.nanoTime();
        long tokens = service.tokensStreamed();
        tokensPerSecond = (tokens - lastTokens) / Math.max(1e-9, (now - lastNanos) / 1e9);
        lastTokens = tokens;
        lastNanos = now;
        service.state().whenComplete((state, failure) -> {
            if (state != null) {
                last.set(state);
            }
        });
    }

    @Override
    public List<String> capabilities() {
        ClusterState s = last.get();
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (ClusterState.Member m : s.members()) {
                ClusterState.Capabilities c = m.capabilities();
                out.add(c == null ? m.node() + " " + m.address() + " (no profile yet)"
                        : String.format(Locale.ROOT, "%s %s memory %.1f/%.1f GiB, %d cores, models %s", m.node(),
                        m.address(), c.usedBytes() / GIB, c.memoryBudgetBytes() / GIB, c.cores(), c.modelFiles()));
            }
        }
        return out;
    }

    @Override
    public List<String> placements() {
        ClusterState s = last.get();
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (ClusterState.Instance i : s.instances()) {
                out.add(i.model() + " " + i.mode() + " " + i.state() + ": " + i.slices().stream()
                        .map(sl -> sl.node() + "@" + sl.stage() + "/" + sl.rank()).toList()
                        + (i.detail() == null ? "" : " (" + i.detail() + ")"));
            }
        }
        return out;
    }

    @Override
    public List<String> loadedSlices() {
        List<String> out = new ArrayList<>();
        for (ShardHost.Loaded l : host.slices()) {
            out.add(l.description() + String.format(Locale.ROOT, ", %.1f MiB", l.bytes() / MIB));
        }
        for (LoadedModel m : local.loaded()) {
            out.add(m.model().name() + " whole model" + String.format(Locale.ROOT, ", %.1f MiB",
                    m.residentBytes() / MIB));
        }
        return out;
    }

    @Override
    public double tokensPerSecond() {
        return tokensPerSecond;
    }

    @Override
    public long usedBytes() {
        return host.sliceBytes() + local.loaded().stream().mapToLong(LoadedModel::residentBytes).sum();
    }

    @Override
    public void close() {
        refresh.cancel();
    }

    private static final double GIB = 1L << 30;
    private static final double MIB = 1L << 20;
}
