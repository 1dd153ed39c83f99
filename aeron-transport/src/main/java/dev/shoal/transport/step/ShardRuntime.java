package dev.shoal.transport.step;

import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.tensor.model.SliceModel;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.transport.PeerUnavailableException;
import dev.shoal.transport.TransportSettings;
import io.aeron.Aeron;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

/**
 * A worker position of a distributed model (any position but 0): a platform thread that waits for step
 * descriptors from the supervisor and runs its slice's forward pass for each — all-reduces with its stage's tensor
 * ranks, hand-offs between stages, and, on the last stage's rank 0, the wanted logits rows back to the supervisor.
 * No actor or mailbox is involved per step.
 *
 * <p><b>Waiting.</b> Between requests the loop waits indefinitely (requests may be minutes apart): the idle
 * strategy of the {@link TransportSettings}, after {@value #DEEP_IDLE_AFTER_MS} ms without a descriptor a 1 ms
 * park, and after {@value #REST_AFTER_MS} ms a 5 ms one (a 1 ms park was 1.6 % of a core for a loaded model nobody
 * used), which costs the first step after a pause at most that. It ends when {@link #close()}d, when a stop
 * descriptor arrives ({@link InstanceStoppedException}), or when the supervisor is gone: its image on the feed
 * vanished (closed publication, or no heartbeat for the driver's image liveness, 3 s by default) →
 * {@link PeerUnavailableException}.
 *
 * <p><b>Caches.</b> One {@link KvCache} per sequence slot, made or grown when a descriptor asks a slot for more
 * positions than it holds ({@link SlotCaches}); a step otherwise allocates nothing.
 *
 * <p><b>Failure.</b> Anything that ends the loop other than {@link #close()} — a silent peer
 * ({@link PeerUnavailableException} from a collective or link), a stop, a protocol error — is reported once to the
 * callback, on the runtime's thread, and the loop ends; the runtime is then spent and should be closed.
 */
public final class ShardRuntime implements AutoCloseable {

    /** Idle time after which the wait parks 1 ms at a time. */
    static final long DEEP_IDLE_AFTER_MS = 1000;
    private static final long DEEP_IDLE_AFTER_NS = DEEP_IDLE_AFTER_MS * 1_000_000;
    private static final long DEEP_IDLE_PARK_NS = 1_000_000;
    /** Idle time after which the wait parks 5 ms at a time: 200 wake-ups a second for a loaded model nobody uses. */
    static final long REST_AFTER_MS = 10_000;
    private static final long REST_AFTER_NS = REST_AFTER_MS * 1_000_000;
    private static final long REST_PARK_NS = 5_000_000;

    private final InstanceWiring wiring;
    private final int position;
    private final TransportSettings settings;
    private final Consumer<RuntimeException> onFailure;
    private final PositionModel plane;
    private final StepDescriptor descriptor;
    private final StepFeedReceiver feed;
    private final SlotCaches slots;
    private final KvCache[] caches; // the current step's caches by row, reused
    private final int vocab;

    private volatile boolean connected;
    private volatile boolean closed;
    private volatile Thread thread;
    private volatile long steps;

    /**
     * @param aeron     a client of this node's media driver (not closed here)
     * @param position  this runtime's position in the wiring, 1 .. positions - 1
     * @param weights   the position's slice, loaded (and compacted) by the caller, who also owns their memory
     * @param pool      the forward pass's worker threads (not closed here)
     * @param maxBatch  the sequence slots, as the supervisor's; steps carry up to {@link LocalModel#rowsFor} rows
     * @param onFailure told once why the step loop ended, unless it ended by {@link #close()}
     */
    public ShardRuntime(final Aeron aeron, final InstanceWiring wiring, final int position, final SliceWeights weights,
                        final WorkerPool pool, final int maxContext, final int maxBatch,
                        final TransportSettings settings, final Consumer<RuntimeException> onFailure) {
        if (position < 1 || position >= wiring.positionCount()) {
            throw new IllegalArgumentException("a shard runtime serves positions 1.." + (wiring.positionCount() - 1)
                    + " (0 is the supervisor's DistributedStepModel): position=" + position);
        }
        this.wiring = wiring;
        this.position = position;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
        final int rows = LocalModel.rowsFor(maxBatch);
        this.descriptor = new StepDescriptor(rows);
        this.plane = new PositionModel(aeron, wiring, position, weights, pool, maxContext, rows, settings);
        try {
            this.feed = new StepFeedReceiver(aeron, wiring.stepFeed(position), descriptor);
        } catch (final RuntimeException e) {
            plane.close();
            throw e;
        }
        this.slots = new SlotCaches(plane.model, maxBatch);
        this.caches = new KvCache[rows];
        this.vocab = weights.config().vocabSize();
    }

    public int position() {
        return position;
    }

    public InstanceWiring wiring() {
        return wiring;
    }

    /** The forward pass of this position's slice. */
    public SliceModel model() {
        return plane.model;
    }

    /** Steps run so far. */
    public long steps() {
        return steps;
    }

    /** The step loop's thread id (for per-thread accounting), or -1 before {@link #start()}. */
    public long threadId() {
        final Thread t = thread;
        return t == null ? -1 : t.threadId();
    }

    /** True while the step loop runs. */
    public boolean isRunning() {
        final Thread t = thread;
        return t != null && t.isAlive();
    }

    /**
     * Waits until the supervisor's feed, the tensor group and every link of this position are connected.
     *
     * @throws PeerUnavailableException naming what is missing at the deadline
     */
    public void awaitConnected(final Duration timeout) {
        plane.awaitConnected(timeout, () -> feed.isConnected() ? null
                : new PositionModel.Gap("step feed from the supervisor (listening at " + feed.endpoint() + ")",
                        feed.endpoint()), settings.idle().newStrategy());
        connected = true;
    }

    /** Starts the step loop on its own platform thread, {@code shoal-shard-<instance>-<position>}. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("shard runtime closed: position " + position);
        }
        if (thread != null) {
            throw new IllegalStateException("already started: position " + position);
        }
        if (!connected) {
            throw new IllegalStateException("call awaitConnected first: position " + position);
        }
        thread = Thread.ofPlatform().daemon().name("shoal-shard-" + wiring.instance() + "-" + position)
                .start(this::run);
    }

    private void run() {
        final IdleStrategy idle = settings.idle().newStrategy();
        long expected = 0;
        try {
            long idleSince = System.nanoTime();
            idle.reset();
            while (!closed) {
                if (feed.poll()) {
                    if (descriptor.isStop()) {
                        report(new InstanceStoppedException(descriptor.stopReason(), "position " + position
                                + " of instance " + wiring.instance() + ": the supervisor "
                                + (descriptor.stopReason() == StepDescriptor.STOP_FAILED
                                ? "stopped the instance after a failed step" : "closed the instance")
                                + " after " + expected + " steps"));
                        return;
                    }
                    if (descriptor.sequence() != expected) {
                        throw new IllegalStateException("position " + position + ": step descriptor "
                                + descriptor.sequence() + " where step " + expected + " was due");
                    }
                    step();
                    steps = ++expected;
                    idle.reset();
                    idleSince = System.nanoTime();
                    continue;
                }
                if (feed.supervisorGone()) {
                    throw new PeerUnavailableException(-1, feed.endpoint(), "position " + position
                            + " of instance " + wiring.instance() + ": the supervisor is gone (its step feed image "
                            + "at " + feed.endpoint() + " closed or fell silent) after " + expected + " steps");
                }
                final long quiet = System.nanoTime() - idleSince;
                if (quiet > DEEP_IDLE_AFTER_NS) {
                    LockSupport.parkNanos(quiet > REST_AFTER_NS ? REST_PARK_NS : DEEP_IDLE_PARK_NS);
                } else {
                    idle.idle(0);
                }
            }
        } catch (final RuntimeException e) {
            if (!closed) {
                report(e);
            }
        } catch (final Error e) {
            if (!closed) {
                report(new IllegalStateException("position " + position + ": step loop died: " + e, e));
            }
            throw e;
        }
    }

    /** One step: this slice's forward for the descriptor's rows, then the wanted logits to the supervisor. */
    private void step() {
        final StepDescriptor d = descriptor;
        final int n = d.count();
        final int[] slotOfRow = d.slots();
        final int[] capacities = d.capacities();
        for (int b = 0; b < n; b++) {
            caches[b] = slots.cacheFor(slotOfRow[b], capacities[b]);
        }
        final SliceModel model = plane.model;
        final boolean[] want = d.wantLogits();
        model.forward(n, d.tokens(), d.positions(), caches, want);
        if (plane.logitsOut != null) {
            for (int b = 0; b < n; b++) {
                if (want[b]) {
                    plane.logitsOut.sendNext(model.logits(b), vocab);
                }
            }
        }
    }

    private void report(final RuntimeException e) {
        try {
            onFailure.accept(e);
        } catch (final RuntimeException ignored) {
            // the callback's own failure must not hide the original; the loop ends either way
        }
    }

    /**
     * Stops the loop (a step in progress finishes or times out first, so this may take up to the peer timeout)
     * and closes this runtime's publications and subscriptions. The Aeron client, the pool and the weights'
     * memory belong to the caller.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        final Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(settings.peerTimeout().toMillis() + 2_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        CloseHelper.quietCloseAll(feed, plane);
    }

    @Override
    public String toString() {
        return "ShardRuntime[instance=" + wiring.instance() + ", position=" + position + " (stage "
                + wiring.stageOf(position) + " rank " + wiring.rankOf(position) + "), steps=" + steps + "]";
    }
}
