package dev.shoal.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.CloseHelper;

/**
 * Test fixture: a tensor group of {@code size} ranks in this JVM, each rank an {@link AeronCollective} driven by its
 * own thread. UDP meshes give every rank its own {@link EmbeddedDriver} (as separate nodes would have) listening on
 * a distinct 127.0.0.1 port; IPC meshes share one driver and tell ranks apart by stream id.
 */
final class Mesh implements AutoCloseable {

    static final int STREAM_ID = 1001;

    /** What one rank does in one test phase. */
    interface RankTask<T> {
        T run(AeronCollective collective) throws Exception;
    }

    final List<EmbeddedDriver> drivers = new ArrayList<>();
    final List<Endpoint> endpoints;
    final AeronCollective[] ranks;
    private final EmbeddedDriver[] driverOfRank;
    private final ExecutorService threads;

    private Mesh(final int size, final boolean udp, final TransportSettings settings) {
        this.ranks = new AeronCollective[size];
        this.driverOfRank = new EmbeddedDriver[size];
        this.endpoints = new ArrayList<>();
        try {
            if (udp) {
                final int[] ports = TestPorts.freeUdpPorts(size);
                for (int r = 0; r < size; r++) {
                    endpoints.add(new Endpoint.Udp("127.0.0.1", ports[r], STREAM_ID));
                    driverOfRank[r] = EmbeddedDriver.launch();
                    drivers.add(driverOfRank[r]);
                }
            } else {
                final EmbeddedDriver shared = EmbeddedDriver.launch();
                drivers.add(shared);
                for (int r = 0; r < size; r++) {
                    endpoints.add(new Endpoint.Ipc(STREAM_ID + r));
                    driverOfRank[r] = shared;
                }
            }
            for (int r = 0; r < size; r++) {
                ranks[r] = new AeronCollective(driverOfRank[r].aeron(), r, endpoints, settings);
            }
        } catch (final RuntimeException e) {
            close();
            throw e;
        }
        this.threads = Executors.newFixedThreadPool(size, runnable -> {
            final Thread t = new Thread(runnable, "mesh-rank");
            t.setDaemon(true);
            return t;
        });
    }

    static Mesh udp(final int size, final TransportSettings settings) {
        return new Mesh(size, true, settings);
    }

    static Mesh ipc(final int size, final TransportSettings settings) {
        return new Mesh(size, false, settings);
    }

    static Mesh of(final String transport, final int size, final TransportSettings settings) {
        return new Mesh(size, "udp".equals(transport), settings);
    }

    int size() {
        return ranks.length;
    }

    /** Runs {@code task} on every rank in parallel; the per-rank results (a rank's exception fails the call). */
    <T> List<T> onAllRanks(final RankTask<T> task) throws Exception {
        final List<Future<T>> futures = new ArrayList<>();
        for (final AeronCollective rank : ranks) {
            futures.add(threads.submit(() -> task.run(rank)));
        }
        final List<T> results = new ArrayList<>();
        for (final Future<T> f : futures) {
            try {
                results.add(f.get(60, TimeUnit.SECONDS));
            } catch (final ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            } catch (final TimeoutException e) {
                throw new AssertionError("a rank hung for 60 s", e);
            }
        }
        return results;
    }

    /** Runs {@code task} on the given ranks only. */
    <T> List<Future<T>> submit(final RankTask<T> task, final int... which) {
        final List<Future<T>> futures = new ArrayList<>();
        for (final int r : which) {
            final AeronCollective rank = ranks[r];
            futures.add(threads.submit(() -> task.run(rank)));
        }
        return futures;
    }

    /** Closes rank {@code r}'s collective and, on UDP, its whole driver: the node is gone. */
    void kill(final int r) {
        CloseHelper.quietClose(ranks[r]);
        if (drivers.size() > 1) {
            CloseHelper.quietClose(driverOfRank[r]);
        }
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.shutdownNow();
        }
        for (final AeronCollective rank : ranks) {
            CloseHelper.quietClose(rank);
        }
        for (final EmbeddedDriver driver : drivers) {
            CloseHelper.quietClose(driver);
        }
    }
}
