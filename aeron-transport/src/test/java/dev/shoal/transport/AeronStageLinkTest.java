package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pipeline hand-offs over UDP between stages on separate drivers: order, sizes, queued hand-offs, timeouts. */
class AeronStageLinkTest {

    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(20));
    private static final int[] LENGTHS = {1, 288, 9000, 64 * 1024, 0, 4096};

    private final ExecutorService threads = Executors.newFixedThreadPool(3);
    private EmbeddedDriver[] drivers = new EmbeddedDriver[0];
    private AeronStageLink[] links = new AeronStageLink[0];

    @AfterEach
    void close() {
        threads.shutdownNow();
        CloseHelper.quietCloseAll(links);
        CloseHelper.quietCloseAll(drivers);
    }

    /** Hand-off {@code n}: element i holds n * 1e6 + i, so a mix-up of order or offset is visible. */
    private static float[] handoff(final int n, final int length) {
        final float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = n * 1_000_000f + i;
        }
        return x;
    }

    /** Three stages, each its own driver: 0 → 1 → 2. */
    private void chain(final TransportSettings settings) {
        final int[] ports = TestPorts.freeUdpPorts(3);
        drivers = new EmbeddedDriver[3];
        links = new AeronStageLink[3];
        final Endpoint[] listen = new Endpoint[3];
        for (int s = 0; s < 3; s++) {
            drivers[s] = EmbeddedDriver.launch();
            listen[s] = new Endpoint.Udp("127.0.0.1", ports[s], 2002);
        }
        for (int s = 0; s < 3; s++) {
            links[s] = new AeronStageLink(drivers[s].aeron(), s == 0 ? null : listen[s], s == 2 ? null : listen[s + 1],
                    settings);
        }
    }

    @Test
    void shouldDeliverHandOffsInOrderThroughTwoHops() throws Exception {
        chain(SETTINGS);
        final int count = 60;
        final Future<?> first = threads.submit(() -> {
            for (int n = 0; n < count; n++) {
                final int length = LENGTHS[n % LENGTHS.length];
                links[0].sendNext(handoff(n, length), length);
            }
            return null;
        });
        final Future<?> middle = threads.submit(() -> {
            final float[] x = new float[64 * 1024 + 16];
            for (int n = 0; n < count; n++) {
                final int length = LENGTHS[n % LENGTHS.length];
                links[1].receivePrevious(x, length);
                for (int i = 0; i < length; i++) {
                    x[i] += 0.5f; // this stage's work
                }
                links[1].sendNext(x, length);
            }
            return null;
        });
        final Future<?> last = threads.submit(() -> {
            final float[] x = new float[64 * 1024];
            for (int n = 0; n < count; n++) {
                final int length = LENGTHS[n % LENGTHS.length];
                links[2].receivePrevious(x, length);
                final float[] expected = handoff(n, length);
                for (int i = 0; i < length; i++) {
                    assertEquals(expected[i] + 0.5f, x[i], "hand-off " + n + " element " + i);
                }
            }
            return null;
        });
        first.get(60, TimeUnit.SECONDS);
        middle.get(60, TimeUnit.SECONDS);
        last.get(60, TimeUnit.SECONDS);
        assertEquals(count, links[0].sent());
        assertEquals(count, links[2].received());
    }

    @Test
    void shouldQueueHandOffsSentAheadOfTheReceiver() throws Exception {
        chain(SETTINGS);
        // stage 0 runs ahead (e.g. prefill chunks) before stage 1 reads anything: nothing may be lost or merged
        for (int n = 0; n < 6; n++) {
            links[0].sendNext(handoff(n, 20_000), 20_000);
        }
        final float[] x = new float[20_000];
        for (int n = 0; n < 6; n++) {
            links[1].receivePrevious(x, 20_000);
            assertEquals(n * 1_000_000f, x[0]);
            assertEquals(n * 1_000_000f + 19_999, x[19_999]);
        }
    }

    @Test
    void shouldFailWithinTheTimeoutWhenThePreviousStageSendsNothing() {
        chain(SETTINGS.withPeerTimeout(Duration.ofMillis(800)));
        final long start = System.nanoTime();
        final PeerUnavailableException e = assertThrows(PeerUnavailableException.class,
                () -> links[1].receivePrevious(new float[10], 10));
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= 750_000_000L && elapsed < 3_300_000_000L, "elapsed " + elapsed / 1e6 + " ms");
        assertTrue(e.getMessage().contains("previous stage"), e.getMessage());
    }

    @Test
    void shouldNameAPreviousStageThatIsGoneLongBeforeThePeerTimeout() throws Exception {
        chain(SETTINGS.withPeerTimeout(Duration.ofSeconds(30)));
        links[0].sendNext(handoff(0, 100), 100);
        links[1].receivePrevious(new float[100], 100);
        links[0].close();
        drivers[0].close();
        final long start = System.nanoTime();
        final PeerUnavailableException e = assertThrows(PeerUnavailableException.class,
                () -> links[1].receivePrevious(new float[100], 100));
        final long elapsed = System.nanoTime() - start;
        // its stream closed (or, killed, fell silent for the 3 s image liveness): not the 30 s timeout
        assertTrue(elapsed < 5_000_000_000L, "elapsed " + elapsed / 1e6 + " ms");
        assertTrue(e.getMessage().contains("previous stage") && e.getMessage().contains("is gone"), e.getMessage());
    }

    @Test
    void shouldFailWhenTheNextStageIsGone() throws Exception {
        chain(SETTINGS.withPeerTimeout(Duration.ofMillis(800)));
        links[0].sendNext(handoff(0, 100), 100);
        links[1].receivePrevious(new float[100], 100);
        links[1].close();
        drivers[1].close();
        // sends land in the publication until its window fills or it notices the receiver is gone; either way a
        // bounded number of sends must end in PeerUnavailableException, each within the timeout
        final Future<Throwable> sender = threads.submit(() -> {
            final float[] x = handoff(1, 64 * 1024);
            for (int n = 0; n < 1000; n++) {
                final long start = System.nanoTime();
                try {
                    links[0].sendNext(x, x.length);
                } catch (final RuntimeException thrown) {
                    assertTrue(System.nanoTime() - start < 3_300_000_000L);
                    return thrown;
                }
            }
            return null;
        });
        final PeerUnavailableException e = assertInstanceOf(PeerUnavailableException.class,
                sender.get(60, TimeUnit.SECONDS));
        assertTrue(e.getMessage().contains("next stage"), e.getMessage());
    }
}
