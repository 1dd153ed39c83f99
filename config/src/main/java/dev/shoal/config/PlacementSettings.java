package dev.shoal.config;

import java.time.Duration;
import java.util.Set;

/**
 * How the placement coordinator spreads models over the cluster ({@code shoal.placement.*}).
 *
 * @param mode          {@code auto}, {@code replicas}, {@code pipeline}, {@code tensor} or {@code hybrid}
 * @param maxNodes      the most nodes one model is split over, those with the most free memory first; 0 = all
 * @param loadTimeout   how long an instance's slices get to load and connect before the placement fails
 * @param settleTimeout after an instance lost a node, how long the coordinator waits for membership to say which
 *                      node is gone before it re-plans anyway
 */
public record PlacementSettings(String mode, int maxNodes, Duration loadTimeout, Duration settleTimeout) {

    public static final Set<String> MODES = Set.of("auto", "replicas", "pipeline", "tensor", "hybrid");

    public PlacementSettings {
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("placement mode '" + mode + "' is not one of " + MODES);
        }
    }
}
