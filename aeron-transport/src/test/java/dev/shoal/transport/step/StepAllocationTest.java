package dev.shoal.transport.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.KvCache;
import dev.shoal.transport.TransportSettings;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decode steps of a distributed model allocate nothing, on the supervisor's thread (descriptor, publish, its
 * slice's forward, hand-off, logits receive) nor on the workers' step-loop threads (feed poll, caches by slot,
 * forward with all-reduce and gather, logits return, idle wait) — once warm (C2 compiled, buffers grown, caches
 * made). Placement: stage 0 with one rank, stage 1 with two, so one sender fans out to two receivers and the last
 * stage all-reduces and gathers over the network. Measured with the JVM's per-thread allocation counters over
 * rounds of steps, like {@code SteadyStateAllocationTest}: a per-step allocation would show in every round.
 */
class StepAllocationTest {

    private static final int CONTEXT = 64;
    private static final int WARM_UP_STEPS = 3000;
    private static final int ROUND_STEPS = 200;

    @Test
    void decodeStepsShouldAllocateNothingOnTheSupervisorOrTheWorkers() throws Exception {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (GgufFile file = GgufFile.open(SharedModels.require("stories260K.gguf"));
             StepCluster cluster = StepCluster.start(file, List.of(1, 2), 2, CONTEXT,
                     TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(20)))) {
            final DistributedStepModel model = cluster.supervisor;
            final Steps steps = new Steps(model, model.newCache(CONTEXT), model.newCache(CONTEXT));
            for (int i = 0; i < WARM_UP_STEPS; i++) {
                steps.next();
            }
            long supervisorBytes = -1;
            long workerBytes = -1;
            for (int round = 0; round < 4 && (supervisorBytes != 0 || workerBytes != 0); round++) {
                final long workersBefore = workerBytes(threads, cluster);
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < ROUND_STEPS; i++) {
                    steps.next();
                }
                supervisorBytes = threads.getCurrentThreadAllocatedBytes() - before;
                workerBytes = workerBytes(threads, cluster) - workersBefore;
            }
            assertEquals(0, supervisorBytes, ROUND_STEPS + " decode steps allocated on the supervisor thread");
            assertEquals(0, workerBytes, ROUND_STEPS + " decode steps allocated on the workers' step threads");
            assertTrue(cluster.shards[1].steps() >= WARM_UP_STEPS);
        }
    }

    private static long workerBytes(final com.sun.management.ThreadMXBean threads, final StepCluster cluster) {
        long bytes = 0;
        for (int p = 1; p < cluster.positions(); p++) {
            bytes += threads.getThreadAllocatedBytes(cluster.shards[p].threadId());
        }
        return bytes;
    }

    /** Two sequences decoding together: each step feeds back each row's argmax, positions wrap in the context. */
    private static final class Steps {
        private final DistributedStepModel model;
        private final int[] tokens = {1, 1};
        private final int[] positions = new int[2];
        private final KvCache[] caches;
        private final boolean[] want = {true, true};
        private int step;

        Steps(final DistributedStepModel model, final KvCache a, final KvCache b) {
            this.model = model;
            this.caches = new KvCache[] {a, b};
        }

        void next() {
            positions[0] = step % CONTEXT;
            positions[1] = (step + 7) % CONTEXT;
            model.forward(2, tokens, positions, caches, want);
            for (int b = 0; b < 2; b++) {
                tokens[b] = argmax(model.logits(b));
            }
            step++;
        }

        private static int argmax(final float[] logits) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            return best;
        }
    }
}
