package dev.shoal.transport.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.generate.BatchScheduler;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.tokenizer.Tokenizer;
import dev.shoal.transport.PeerUnavailableException;
import dev.shoal.transport.TransportSettings;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nobody waits forever: a worker that leaves mid-generation fails the scheduler's sequences with
 * {@link PeerUnavailableException} within the peer timeout (2 s here: the timeout is the behaviour under test), and
 * the model stays broken; a supervisor that closes stops every worker at once; a supervisor whose node vanishes
 * (no stop sent) is noticed by every worker through its feed image disappearing.
 */
class DistributedFailureTest {

    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);
    private static final long MARGIN_NS = 3_000_000_000L;
    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(PEER_TIMEOUT);
    private static final int MAX_BATCH = 4;
    private static final int CONTEXT = 256;

    private static GgufFile file;
    private static Tokenizer tokenizer;

    private StepCluster cluster;
    private BatchScheduler scheduler;

    @BeforeAll
    static void open() throws Exception {
        file = GgufFile.open(SharedModels.require("stories260K.gguf"));
        tokenizer = Tokenizer.fromGguf(file.metadata());
    }

    @AfterAll
    static void closeFile() {
        if (file != null) {
            file.close();
        }
    }

    @AfterEach
    void close() {
        CloseHelper.quietCloseAll(scheduler, cluster);
    }

    private void start(final String stages) {
        cluster = StepCluster.start(file, Arrays.stream(stages.split(",")).map(Integer::valueOf).toList(), MAX_BATCH,
                CONTEXT, SETTINGS);
        scheduler = new BatchScheduler(cluster.supervisor, tokenizer, CONTEXT, MAX_BATCH, 8);
    }

    /** A collector whose engine-thread callback holds at the first token until released. */
    private static final class Holding extends Requests.Collector {
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onToken(final int id) {
            super.onToken(id);
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static RuntimeException errorOf(final Requests.Collector c) throws Exception {
        final ExecutionException e = assertThrows(ExecutionException.class, () -> c.done.get(30, TimeUnit.SECONDS));
        return assertInstanceOf(RuntimeException.class, e.getCause());
    }

    @ParameterizedTest(name = "stages {0}")
    @ValueSource(strings = {"2", "1,1"})
    void aWorkerLeavingMidGenerationShouldFailTheSequencesWithinThePeerTimeout(final String stages) throws Exception {
        start(stages);
        final Holding held = new Holding();
        final Requests.Collector other = new Requests.Collector();
        scheduler.submit(Requests.greedy(tokenizer, "Once upon a time", 200, CONTEXT), held);
        scheduler.submit(Requests.greedy(tokenizer, "The dog ran", 200, CONTEXT), other);
        assertTrue(held.firstToken.await(30, TimeUnit.SECONDS));
        // the engine thread is inside the first sequence's callback: the worker leaves between two steps
        final int gone = cluster.positions() - 1;
        cluster.killWorker(gone);
        final long released = System.nanoTime();
        held.release.countDown();

        for (final Requests.Collector c : List.of(held, other)) {
            final RuntimeException e = errorOf(c);
            assertInstanceOf(PeerUnavailableException.class, e, () -> "cause: " + e);
            final long elapsed = c.errorAtNanos - released;
            assertTrue(elapsed < PEER_TIMEOUT.toNanos() + MARGIN_NS, "failed after " + elapsed / 1e6 + " ms");
        }
        assertTrue(cluster.supervisor.isBroken());

        // the instance is broken: a later request fails at once instead of waiting out another timeout
        final Requests.Collector later = new Requests.Collector();
        final long submitted = System.nanoTime();
        scheduler.submit(Requests.greedy(tokenizer, "Sue", 8, CONTEXT), later);
        final RuntimeException e = errorOf(later);
        assertInstanceOf(PeerUnavailableException.class, e);
        assertTrue(e.getMessage().contains("broken by an earlier failure"), e.getMessage());
        assertTrue(later.errorAtNanos - submitted < 1_000_000_000L, "a broken model must fail fast");
        assertEquals(0, cluster.supervisor.slotsInUse(), "failed sequences give their slots back");
    }

    /** A short generation, so every worker has run steps before the supervisor goes. */
    private void generateSomething() throws Exception {
        final Requests.Collector c = new Requests.Collector();
        scheduler.submit(Requests.greedy(tokenizer, "Once upon a time", 8, CONTEXT), c);
        assertEquals(8, c.done.get(30, TimeUnit.SECONDS).generatedTokens());
        scheduler.close();
    }

    @Test
    void closingTheSupervisorShouldStopEveryWorkerAtOnce() throws Exception {
        start("2,1");
        generateSomething();
        final long closed = System.nanoTime();
        cluster.supervisor.close();
        for (int p = 1; p < cluster.positions(); p++) {
            final StepCluster.Ended end = cluster.ended.get(p).get(15, TimeUnit.SECONDS);
            final InstanceStoppedException stop = assertInstanceOf(InstanceStoppedException.class, end.error());
            assertFalse(stop.failed());
            assertTrue(end.atNanos() - closed < 2_000_000_000L, "position " + p + " stopped after "
                    + (end.atNanos() - closed) / 1e6 + " ms");
            cluster.shards[p].close();
            assertFalse(cluster.shards[p].isRunning());
        }
    }

    @Test
    void aSupervisorWhoseNodeVanishesShouldBeNoticedByEveryWorker() throws Exception {
        start("2,1");
        generateSomething();
        final long gone = System.nanoTime();
        cluster.drivers[0].close(); // the node goes: no stop descriptor is sent
        for (int p = 1; p < cluster.positions(); p++) {
            final StepCluster.Ended end = cluster.ended.get(p).get(30, TimeUnit.SECONDS);
            final PeerUnavailableException e = assertInstanceOf(PeerUnavailableException.class, end.error());
            assertTrue(e.getMessage().contains("the supervisor is gone"), e.getMessage());
            final long elapsed = end.atNanos() - gone;
            assertTrue(elapsed < 15_000_000_000L, "position " + p + " noticed after " + elapsed / 1e6 + " ms");
            System.out.println("position " + p + " noticed the vanished supervisor after " + elapsed / 1_000_000
                    + " ms");
        }
    }
}
