package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The probe measures something plausible over UDP loopback and IPC, and does not hang without a responder. */
class LinkProbeTest {

    private static final TransportSettings SETTINGS = TransportSettings.DEFAULT.withPeerTimeout(Duration.ofSeconds(20));
    private static final ProbePlan SMALL = new ProbePlan(50, 300, 64, 200, 64 * 1024);

    private EmbeddedDriver a;
    private EmbeddedDriver b;
    private AgentRunner responder;
    private LinkProbe probe;

    @AfterEach
    void close() {
        CloseHelper.quietCloseAll(probe, responder, a, b);
    }

    @Test
    void shouldMeasureUdpLoopback() {
        a = EmbeddedDriver.launch();
        b = EmbeddedDriver.launch();
        final int[] ports = TestPorts.freeUdpPorts(2);
        final Endpoint here = new Endpoint.Udp("127.0.0.1", ports[0], 3003);
        final Endpoint there = new Endpoint.Udp("127.0.0.1", ports[1], 3003);
        responder = LinkProbeResponder.start(b.aeron(), there, here, IdleMode.BACKOFF);
        probe = new LinkProbe(a.aeron(), here, there, SETTINGS);
        probe.awaitConnected(Duration.ofSeconds(20));
        final LinkMeasurement m = probe.measure(SMALL);
        System.out.println("UDP loopback: " + m);
        assertPlausible(m);
    }

    @Test
    void shouldMeasureIpc() {
        a = EmbeddedDriver.launch();
        final Endpoint here = new Endpoint.Ipc(3003);
        final Endpoint there = new Endpoint.Ipc(3004);
        responder = LinkProbeResponder.start(a.aeron(), there, here, IdleMode.BACKOFF);
        probe = new LinkProbe(a.aeron(), here, there, SETTINGS);
        probe.awaitConnected(Duration.ofSeconds(20));
        final LinkMeasurement m = probe.measure(SMALL);
        System.out.println("IPC: " + m);
        assertPlausible(m);
    }

    @Test
    void shouldGiveUpWhenNoResponderListens() {
        a = EmbeddedDriver.launch();
        final int[] ports = TestPorts.freeUdpPorts(2);
        probe = new LinkProbe(a.aeron(), new Endpoint.Udp("127.0.0.1", ports[0], 3003),
                new Endpoint.Udp("127.0.0.1", ports[1], 3003), SETTINGS.withPeerTimeout(Duration.ofMillis(500)));
        final long start = System.nanoTime();
        try {
            probe.measure(SMALL);
            throw new AssertionError("measured a link to nobody");
        } catch (final PeerUnavailableException expected) {
            assertTrue(System.nanoTime() - start < 3_000_000_000L);
        }
    }

    private static void assertPlausible(final LinkMeasurement m) {
        // wide bounds: a loaded 2-core machine can be slow, but never this slow or impossibly fast. Over IPC two
        // spinning threads on two cores pass a message in a cache-line handoff or two, so a round trip can be
        // 0.3 us (measured here); below 0.1 us (a handoff takes ~50-100 ns each way) the clock or the count is wrong
        assertTrue(m.latencyMicros() > 0.1 && m.latencyMicros() < 100_000, m.toString());
        assertTrue(m.bandwidthBytesPerSecond() > 1e6 && m.bandwidthBytesPerSecond() < 1e12, m.toString());
    }
}
