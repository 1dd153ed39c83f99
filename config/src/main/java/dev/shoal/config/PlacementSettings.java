package dev.shoal.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the placement coordinator spreads models over the cluster ({@code shoal.placement.*}).
 *
 * @param defaults      the mode and node limit of every model without its own entry
 * @param models        per model name (as clients name it, without {@code .gguf}), its own mode and node limit
 * @param loadTimeout   how long an instance's slices get to load and connect before the placement fails
 * @param settleTimeout after an instance lost a node, how long the coordinator waits for membership to say which
 *                      node is gone before it re-plans anyway
 * @param fastLinkRoundTrip      a measured link is fast (tensor parallelism may span it) when its round trip is at
 * @param fastLinkBytesPerSecond most this and its throughput at least this
 * @param linkReprobeInterval    how often the links between the nodes are measured again (a cable unplugged, a
 *                               laptop undocked), or null for only when a node joins
 * @param fetchSlices            whether a node without the model file may hold a slice of a split model, fetching
 *                               the slice's bytes from a node that has the file (a whole replica always runs from
 *                               the node's own copy)
 */
public record PlacementSettings(ModelPlacement defaults, Map<String, ModelPlacement> models, Duration loadTimeout,
                                Duration settleTimeout, Duration fastLinkRoundTrip, long fastLinkBytesPerSecond,
                                Duration linkReprobeInterval, boolean fetchSlices) {

    public static final Set<String> MODES = Set.of("auto", "replicas", "pipeline", "tensor", "hybrid");

    public PlacementSettings {
        models = Map.copyOf(models);
    }

    /**
     * @param mode     {@code auto}, {@code replicas}, {@code pipeline}, {@code tensor} or {@code hybrid}
     * @param maxNodes the most nodes the model is split over, those with the most free memory first; 0 = all
     * @param pins     a manual placement (overrides mode and maxNodes when not empty)
     */
    public record ModelPlacement(String mode, int maxNodes, List<PinSettings> pins) {

        public ModelPlacement(String mode, int maxNodes) {
            this(mode, maxNodes, List.of());
        }

        public ModelPlacement {
            pins = List.copyOf(pins);
            if (!MODES.contains(mode)) {
                throw new IllegalArgumentException("placement mode '" + mode + "' is not one of " + MODES);
            }
            if (maxNodes < 0) {
                throw new IllegalArgumentException("max-nodes must not be negative, got " + maxNodes);
            }
        }
    }

    /**
     * One slice pinned to one node. Each range is half-open {@code [start, end)}, null meaning all of it (layers,
     * KV heads, FFN columns, vocabulary rows of the output); the planner checks that the pins tile the model.
     */
    public record PinSettings(String node, int[] layers, int[] kvHeads, int[] ffn, int[] vocab) {
        public PinSettings {
            if (node == null || node.isBlank()) {
                throw new IllegalArgumentException("a pin needs a node");
            }
        }
    }

    /** The placement of {@code model}: its own entry, or the defaults. */
    public ModelPlacement of(String model) {
        return models.getOrDefault(model, defaults);
    }
}
