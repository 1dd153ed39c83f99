package dev.shoal.transport.step;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.model.SliceWeights;
import dev.shoal.tensor.model.WorkerPool;
import dev.shoal.transport.EmbeddedDriver;
import dev.shoal.transport.TestPorts;
import dev.shoal.transport.TransportSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.CloseHelper;

/**
 * Test fixture: one model instance spread over positions that are threads of this JVM, each with its own
 * {@link EmbeddedDriver} and UDP port on 127.0.0.1 (as separate nodes would have): position 0 is the supervisor's
 * {@link DistributedStepModel}, every other position a started {@link ShardRuntime}. Stage s gets layers
 * {@code [L·s/S, L·(s+1)/S)}, split over its ranks with the engine's {@link Slice#tensorPart}.
 */
final class StepCluster implements AutoCloseable {

    /** How a worker's loop ended: the callback's exception and when it came. */
    record Ended(RuntimeException error, long atNanos) {
    }

    private static final AtomicInteger INSTANCES = new AtomicInteger(40);

    final InstanceWiring wiring;
    final EmbeddedDriver[] drivers;
    final WorkerPool[] pools;
    final DistributedStepModel supervisor;
    final ShardRuntime[] shards; // by position; null at 0
    final List<CompletableFuture<Ended>> ended = new ArrayList<>(); // by position; never completed at 0

    private StepCluster(final GgufFile file, final List<Integer> stageSizes, final int maxBatch, final int context,
                        final TransportSettings settings) {
        final ModelConfig c = ModelConfig.fromGguf(file);
        final int block = file.tensor("blk.0.ffn_down.weight").type().blockSize();
        final int positions = stageSizes.stream().mapToInt(Integer::intValue).sum();
        final int[] ports = TestPorts.freeUdpPorts(positions);
        final List<DataAddress> addresses = new ArrayList<>();
        for (final int port : ports) {
            addresses.add(new DataAddress("127.0.0.1", port));
        }
        this.wiring = new InstanceWiring(INSTANCES.getAndIncrement(), stageSizes, addresses);
        this.drivers = new EmbeddedDriver[positions];
        this.pools = new WorkerPool[positions];
        this.shards = new ShardRuntime[positions];
        DistributedStepModel model = null;
        try {
            for (int p = 0; p < positions; p++) {
                drivers[p] = EmbeddedDriver.launch();
                pools[p] = new WorkerPool(1);
                ended.add(new CompletableFuture<>());
            }
            model = new DistributedStepModel(drivers[0].aeron(), wiring, weights(file, c, block, 0), pools[0],
                    context, maxBatch, settings);
            for (int p = 1; p < positions; p++) {
                final CompletableFuture<Ended> end = ended.get(p);
                shards[p] = new ShardRuntime(drivers[p].aeron(), wiring, p, weights(file, c, block, p), pools[p],
                        context, maxBatch, settings, e -> end.complete(new Ended(e, System.nanoTime())));
            }
            final Duration connect = Duration.ofSeconds(15);
            model.awaitConnected(connect);
            for (int p = 1; p < positions; p++) {
                shards[p].awaitConnected(connect);
                shards[p].start();
            }
        } catch (final RuntimeException e) {
            this.supervisor = model;
            close();
            throw e;
        }
        this.supervisor = model;
    }

    static StepCluster start(final GgufFile file, final List<Integer> stageSizes, final int maxBatch,
                             final int context, final TransportSettings settings) {
        return new StepCluster(file, stageSizes, maxBatch, context, settings);
    }

    /** The slice of {@code position}: its stage's layers, its rank's part of heads, FFN and vocabulary. */
    private SliceWeights weights(final GgufFile file, final ModelConfig c, final int block, final int position) {
        final int stage = wiring.stageOf(position);
        final int stages = wiring.stageCount();
        final Slice slice = Slice.whole(c).withLayers(c.layers() * stage / stages, c.layers() * (stage + 1) / stages)
                .tensorPart(wiring.rankOf(position), wiring.ranks(stage), block);
        return SliceWeights.load(file, c, slice);
    }

    int positions() {
        return wiring.positionCount();
    }

    /** The worker at {@code position} leaves: its runtime closes, then its node's driver. */
    void killWorker(final int position) {
        CloseHelper.quietClose(shards[position]);
        CloseHelper.quietClose(drivers[position]);
    }

    @Override
    public void close() {
        CloseHelper.quietClose(supervisor);
        CloseHelper.quietCloseAll(shards);
        CloseHelper.quietCloseAll(drivers);
        CloseHelper.quietCloseAll(pools);
    }
}
