package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.ALL_FILES;
import static dev.shoal.sharding.Fixtures.GIB;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.layerRanges;
import static dev.shoal.sharding.Fixtures.llama1b;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.plan;
import static dev.shoal.sharding.Fixtures.request;
import static dev.shoal.sharding.Fixtures.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PipelineTest {

    private static Placement.Pipeline pipeline(ModelShape m, List<NodeCapability> nodes) {
        Placement p = plan(m, nodes, LinkMatrix.empty(), PlacementMode.PIPELINE);
        Placement.Pipeline pipeline = assertInstanceOf(Placement.Pipeline.class, p, () -> p.toString());
        PlanInvariants.check(m, nodes, request(m, PlacementMode.PIPELINE), PlannerSettings.DEFAULTS, pipeline);
        return pipeline;
    }

    @Test
    void shouldSplitEvenlyBetweenEqualNodes() {
        Placement.Pipeline p = pipeline(llama8b(GgmlType.F16), macs(12, 12));
        assertEquals(List.of(List.of(0, 16), List.of(16, 32)), layerRanges(p));
        assertEquals(ids("mac-a", "mac-b"), p.nodes());
    }

    @Test
    void shouldGiveTheStagesWithEmbeddingAndOutputFewerLayers() {
        // 70B Q4_K over four 16 GiB Macs: a layer with its 8k KV cache is 0.51 GiB, the embedding and the output
        // 0.55 GiB each, so the end stages take one layer fewer than the middle ones (worked out by hand)
        Placement.Pipeline p = pipeline(llama70b(GgmlType.Q4_K), macs(16, 16, 16, 16));
        assertEquals(List.of(List.of(0, 19), List.of(19, 40), List.of(40, 61), List.of(61, 80)), layerRanges(p));
    }

    @Test
    void shouldSizeStagesProportionallyToFreeMemory() {
        List<NodeCapability> nodes = macs(24, 12);
        Placement.Pipeline p = pipeline(llama8b(GgmlType.F16), nodes);
        assertEquals(List.of(List.of(0, 22), List.of(22, 32)), layerRanges(p));
        assertNearlyEqualUse(llama8b(GgmlType.F16), nodes, p);
    }

    @Test
    void shouldSizeStagesOfAThreeMacFleetProportionally() {
        List<NodeCapability> nodes = macs(64, 32, 16);
        Placement.Pipeline p = pipeline(llama70b(GgmlType.Q8_0), nodes);
        assertEquals(ids("mac-a", "mac-b", "mac-c"), p.nodes());
        assertNearlyEqualUse(llama70b(GgmlType.Q8_0), nodes, p);
    }

    /** Every stage uses about the same fraction of its node's free memory: within one layer's worth. */
    private static void assertNearlyEqualUse(ModelShape m, List<NodeCapability> nodes, Placement.Pipeline p) {
        long layer = m.layerBytes(0) + m.kvHeads() * m.kvBytesPerLayerHead(8192, 1);
        long smallest = nodes.stream().mapToLong(NodeCapability::freeBytes).min().orElseThrow();
        double tolerance = layer / (double) smallest;
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Stage s : p.stages()) {
            long free = nodes.stream().filter(n -> n.node().equals(s.node())).findFirst().orElseThrow().freeBytes();
            double use = s.memory().total() / (double) free;
            min = Math.min(min, use);
            max = Math.max(max, use);
        }
        assertTrue(max - min <= tolerance, "use spread " + (max - min) + " over one layer's " + tolerance);
    }

    @Test
    void shouldOrderStagesByFreeMemoryWhateverTheInputOrder() {
        List<NodeCapability> nodes = List.of(Fixtures.node("small", 16), Fixtures.node("big", 48),
                Fixtures.node("mid", 32));
        Placement.Pipeline p = pipeline(llama70b(GgmlType.Q4_K), nodes);
        assertEquals(ids("big", "mid", "small"), p.nodes());
        assertTrue(p.stages().get(0).memory().total() > p.stages().get(2).memory().total());
    }

    @Test
    void shouldGiveABusyNodeFewerLayers() {
        List<NodeCapability> nodes = List.of(
                new NodeCapability(NodeId.of("a"), 32 * GIB, 16 * GIB, 8, ALL_FILES),
                new NodeCapability(NodeId.of("b"), 32 * GIB, 0, 8, ALL_FILES));
        Placement.Pipeline p = pipeline(llama8b(GgmlType.F16), nodes);
        assertEquals(ids("b", "a"), p.nodes());
        assertTrue(p.stages().get(0).slice().layerCount() > p.stages().get(1).slice().layerCount());
    }

    @Test
    void shouldPipelineAModelThatFitsOneNodeWhenAskedTo() {
        Placement.Pipeline p = pipeline(llama1b(GgmlType.Q8_0), macs(16, 16, 16));
        assertEquals(3, p.stages().size());
        assertEquals(0, p.stages().getFirst().layerStart());
        assertEquals(16, p.stages().getLast().layerEnd());
    }

    @Test
    void shouldPutTheEmbeddingOnTheFirstStageAndTheOutputOnTheLast() {
        ModelShape m = llama8b(GgmlType.Q4_K);
        Placement.Pipeline p = pipeline(m, macs(16, 16, 16));
        Stage first = p.stages().getFirst();
        Stage middle = p.stages().get(1);
        Stage last = p.stages().getLast();
        assertTrue(first.slice().embedsTokens());
        long layers = 0;
        for (int l = middle.layerStart(); l < middle.layerEnd(); l++) {
            layers += m.layerBytes(l);
        }
        assertEquals(layers, middle.memory().weightBytes());
        long lastLayers = 0;
        for (int l = last.layerStart(); l < last.layerEnd(); l++) {
            lastLayers += m.layerBytes(l);
        }
        assertEquals(lastLayers + m.outputBytes() + m.outputNormBytes(), last.memory().weightBytes());
    }

    @Test
    void shouldNeverMakeAnEmptyStage() {
        Placement p = plan(tiny(GgmlType.Q8_0), macs(1, 1, 1), LinkMatrix.empty(), PlacementMode.PIPELINE);
        Placement.Rejection r = assertInstanceOf(Placement.Rejection.class, p);
        assertEquals("tiny has 2 layers, too few for 3 pipeline stages", r.reason());
        assertEquals(Placement.Rejection.Cause.TOO_FEW_LAYERS, r.cause());
    }

    @Test
    void shouldGiveEachOfAsManyStagesAsLayersOneLayer() {
        Placement.Pipeline p = pipeline(tiny(GgmlType.Q8_0), macs(1, 1));
        assertEquals(List.of(List.of(0, 1), List.of(1, 2)), layerRanges(p));
    }
}
