package dev.shoal.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a data-plane participant ({@link AeronCollective}, {@link AeronStageLink}).
 *
 * @param peerTimeout how long a blocking call may make no progress (no frame sent or received) before the peer
 *                    it waits for is declared unavailable; it must exceed the longest compute skew between peers
 *                    (a rank reaching an all-reduce early waits for the slowest rank's matmuls)
 * @param idle        how the calling thread idles while it waits
 */
public record TransportSettings(Duration peerTimeout, IdleMode idle) {

    /** 5 s, back-off idling. */
    public static final TransportSettings DEFAULT = new TransportSettings(Duration.ofSeconds(5), IdleMode.BACKOFF);

    public TransportSettings {
        Objects.requireNonNull(peerTimeout, "peerTimeout");
        Objects.requireNonNull(idle, "idle");
        if (peerTimeout.isNegative() || peerTimeout.isZero()) {
            throw new IllegalArgumentException("peer timeout must be positive: peerTimeout=" + peerTimeout);
        }
    }

    public TransportSettings withPeerTimeout(final Duration timeout) {
        return new TransportSettings(timeout, idle);
    }

    public TransportSettings withIdle(final IdleMode mode) {
        return new TransportSettings(peerTimeout, mode);
    }
}
