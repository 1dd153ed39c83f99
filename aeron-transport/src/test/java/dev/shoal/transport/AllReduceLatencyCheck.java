package dev.shoal.transport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;

/**
 * Benchmark (a main, not a test): all-reduce latency between 2 ranks in this JVM for 8, 16, 32 and 64 KiB of
 * floats, over UDP loopback (a driver per rank) and IPC (one shared driver), with back-off and yielding idling.
 * Each rank runs all-reduces on its own thread; rank 0 times each call, p50/p99 are printed. Calls run back to back
 * (gap 0) and with a 1 ms pause before each call on both ranks — the forward pass computes between all-reduces, and
 * by then back-off idling has put the drivers' threads to sleep, so the gap rows show the wake-up cost.
 *
 * <pre>
 * java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp target/test-classes:target/classes:... \
 *     dev.shoal.transport.AllReduceLatencyCheck [iterations]
 * </pre>
 */
public final class AllReduceLatencyCheck {

    private static final int[] KIB = {8, 16, 32, 64};
    private static final int[] GAP_MICROS = {0, 1000};

    private AllReduceLatencyCheck() {
    }

    public static void main(final String[] args) throws Exception {
        final int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        final int warmup = Math.max(500, iterations / 5);
        System.out.printf("all-reduce latency, 2 ranks, %d calls per row after %d warm-up (µs, timed on rank 0)%n",
                iterations, warmup);
        System.out.printf("%-4s %-9s %6s %7s %9s %9s %9s%n", "kind", "idle", "gap", "KiB", "p50", "p99", "p99.9");
        for (final int gap : GAP_MICROS) {
            for (final IdleMode idle : IdleMode.values()) {
                for (final String kind : List.of("udp", "ipc")) {
                    for (final int kib : KIB) {
                        final int n = gap == 0 ? iterations : Math.max(500, iterations / 10);
                        final long[] ns = run(kind, idle, kib * 1024 / Float.BYTES, warmup, n, gap * 1000L);
                        Arrays.sort(ns);
                        System.out.printf("%-4s %-9s %6d %7d %9.1f %9.1f %9.1f%n", kind, idle, gap, kib,
                                ns[ns.length / 2] / 1e3, ns[(int) (ns.length * 0.99)] / 1e3,
                                ns[(int) (ns.length * 0.999)] / 1e3);
                    }
                }
            }
        }
    }

    private static long[] run(final String kind, final IdleMode idle, final int floats, final int warmup,
                              final int iterations, final long gapNs) throws Exception {
        final TransportSettings settings = new TransportSettings(Duration.ofSeconds(30), idle);
        final boolean udp = "udp".equals(kind);
        final EmbeddedDriver[] drivers = new EmbeddedDriver[udp ? 2 : 1];
        final AeronCollective[] ranks = new AeronCollective[2];
        final ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < drivers.length; i++) {
                final Path dir = DriverSettings.uniqueDirectory();
                drivers[i] = EmbeddedDriver.launch(new DriverSettings(dir, idle));
            }
            final int[] ports = TestPorts.freeUdpPorts(2);
            final List<Endpoint> endpoints = udp
                    ? List.of(new Endpoint.Udp("127.0.0.1", ports[0], 10), new Endpoint.Udp("127.0.0.1", ports[1], 10))
                    : List.of(new Endpoint.Ipc(10), new Endpoint.Ipc(11));
            for (int r = 0; r < 2; r++) {
                ranks[r] = new AeronCollective(drivers[udp ? r : 0].aeron(), r, endpoints, settings);
            }
            final long[] timings = new long[iterations];
            final Future<?> rank1 = threads.submit(() -> {
                final float[] x = new float[floats];
                ranks[1].awaitConnected(Duration.ofSeconds(30));
                for (int i = 0; i < warmup + iterations; i++) {
                    pause(i >= warmup ? gapNs : 0);
                    ranks[1].allReduceSum(x, 0, floats);
                }
                return null;
            });
            final Future<?> rank0 = threads.submit(() -> {
                final float[] x = new float[floats];
                ranks[0].awaitConnected(Duration.ofSeconds(30));
                for (int i = 0; i < warmup + iterations; i++) {
                    pause(i >= warmup ? gapNs : 0);
                    final long start = System.nanoTime();
                    ranks[0].allReduceSum(x, 0, floats);
                    if (i >= warmup) {
                        timings[i - warmup] = System.nanoTime() - start;
                    }
                }
                return null;
            });
            rank0.get(300, TimeUnit.SECONDS);
            rank1.get(300, TimeUnit.SECONDS);
            return timings;
        } finally {
            threads.shutdownNow();
            CloseHelper.quietCloseAll(ranks);
            CloseHelper.quietCloseAll(drivers);
        }
    }

    /** Stands in for the forward pass's compute between all-reduces (sleeping, so the other threads get the cores). */
    private static void pause(final long ns) {
        if (ns > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(ns);
        }
    }
}
