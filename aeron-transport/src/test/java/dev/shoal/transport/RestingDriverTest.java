package dev.shoal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.Publication;
import io.aeron.Subscription;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

/**
 * A node's media driver rests while the node's data plane is quiet (it found a heartbeat's worth of work every few
 * milliseconds and so never parked more than 100 µs: 10–11 % of a core on an idle node), and is active again as soon
 * as a data-plane thread begins to wait or works.
 */
class RestingDriverTest {

    /** Counts what the resting strategy hands to its active strategy. */
    private static final class Counting implements IdleStrategy {
        int idles;
        int resets;

        @Override
        public void idle(final int workCount) {
            idles++;
        }

        @Override
        public void idle() {
            idles++;
        }

        @Override
        public void reset() {
            resets++;
        }
    }

    @Test
    void restsUntilADataPlaneThreadWaitsOrWorksNotWhenTheDriverItselfFindsWork() throws Exception {
        final Counting active = new Counting();
        final RestingIdleStrategy driver = new RestingIdleStrategy(active, 50_000_000L, 1_000_000L);
        final IdleStrategy caller = IdleMode.BACKOFF.newStrategy();

        caller.reset(); // a collective begins to wait
        driver.idle(0);
        assertEquals(1, active.idles, "within the quiet time the driver idles actively");

        Thread.sleep(80); // the data plane has been quiet longer than 50 ms
        driver.idle(0);
        driver.idle(1); // a heartbeat: the driver's own periodic work
        driver.idle(0);
        assertEquals(1, active.idles, "a quiet node's driver parks, whatever its own duty cycle found");

        caller.idle(3); // a caller got work
        driver.idle(0);
        assertEquals(2, active.idles, "data-plane work ends the rest");

        Thread.sleep(80);
        IdleMode.ADAPTIVE.newStrategy().reset(); // adaptive callers mark too
        driver.idle(0);
        assertEquals(3, active.idles);
    }

    @Test
    void anIdleNodesDriverUsesLittleCpuWithAStreamOpen() throws Exception {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (EmbeddedDriver driver = EmbeddedDriver.launch()) {
            final int port = TestPorts.freeUdpPorts(1)[0];
            final String channel = "aeron:udp?endpoint=127.0.0.1:" + port;
            // a connected stream keeps heartbeats and status messages going, the periodic work at rest
            try (Subscription sub = driver.aeron().addSubscription(channel, 7);
                 Publication pub = driver.aeron().addPublication(channel, 7)) {
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (!pub.isConnected() || sub.imageCount() == 0) {
                    assertTrue(System.nanoTime() < deadline, "stream did not connect");
                    Thread.sleep(10);
                }
                Thread.sleep(1_500); // past the quiet second
                final long agent = driverThread(threads, driver);
                final long cpu0 = threads.getThreadCpuTime(agent);
                final long wall0 = System.nanoTime();
                Thread.sleep(2_000);
                final double share = (threads.getThreadCpuTime(agent) - cpu0) / (double) (System.nanoTime() - wall0);
                System.out.printf("resting driver thread: %.2f %% of a core%n", 100 * share);
                // parking 2 ms at a time: 1-2 %; the back-off it replaced: 10-15 %
                assertTrue(share < 0.06, "driver thread used " + 100 * share + " % of a core at rest");
            }
        }
    }

    /** The driver's shared agent thread: Aeron names it after its role, e.g. "[shared]..." with the directory. */
    private static long driverThread(final ThreadMXBean threads, final EmbeddedDriver driver) {
        long found = -1;
        for (final ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains(driver.directory().getFileName().toString())) {
                found = t.getThreadId();
            }
        }
        assertTrue(found >= 0, "no thread named after " + driver.directory());
        return found;
    }
}
