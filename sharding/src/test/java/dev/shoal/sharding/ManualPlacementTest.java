package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.sharding.Placement.Rejection;
import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualPlacementTest {

    private static final ModelShape M = llama8b(GgmlType.Q4_K); // 32 layers, 8 KV heads, FFN 14336, 128256 rows
    private static final List<NodeCapability> NODES = macs(16, 16, 16);

    private static Placement manual(ModelShape m, List<NodeCapability> nodes, Pin... pins) {
        PlacementRequest request = new PlacementRequest(PlacementMode.TENSOR, Math.min(8192, m.context()), 1,
                ManualPlacement.of(pins));
        Placement p = Fixtures.PLANNER.plan(m, nodes, LinkMatrix.empty(), request);
        if (p instanceof Placement.Plan plan) {
            PlanInvariants.check(m, nodes, request, PlannerSettings.DEFAULTS, plan);
        }
        return p;
    }

    private static Placement manual(Pin... pins) {
        return manual(M, NODES, pins);
    }

    private static Pin pin(String node, Slice slice) {
        return new Pin(id(node), slice);
    }

    private static Pin layers(String node, int start, int end) {
        return pin(node, M.stageSlice(start, end));
    }

    @Test
    void shouldTakeAPipelineAsGivenInLayerOrder() {
        Placement.Pipeline p = assertInstanceOf(Placement.Pipeline.class,
                manual(layers("mac-c", 10, 32), layers("mac-a", 0, 10)));
        assertEquals(ids("mac-a", "mac-c"), p.nodes());
        assertEquals(10, p.stages().getFirst().layerEnd());
    }

    @Test
    void shouldTakeTensorRanksInKvHeadOrder() {
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class, manual(
                pin("mac-b", new Slice(0, 32, 4, 8, 7168, 14336, 64128, 128256)),
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7168, 0, 64128))));
        assertEquals(ids("mac-a", "mac-b"), t.nodes());
    }

    @Test
    void shouldAcceptUnevenRanksTheUserChose() {
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class, manual(
                pin("mac-a", new Slice(0, 32, 0, 6, 0, 10240, 0, 100000)),
                pin("mac-b", new Slice(0, 32, 6, 8, 10240, 14336, 100000, 128256))));
        assertEquals(6, t.ranks().getFirst().slice().kvHeadCount());
    }

    @Test
    void shouldTakeAHybrid() {
        Placement.Hybrid h = assertInstanceOf(Placement.Hybrid.class, manual(
                pin("mac-a", new Slice(0, 16, 0, 4, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 16, 4, 8, 7168, 14336, 64128, 128256)),
                layers("mac-c", 16, 32)));
        assertEquals(2, h.stageCount());
        assertEquals(ids("mac-a", "mac-b", "mac-c"), h.nodes());
    }

    @Test
    void shouldTakeWholeCopiesAsReplicas() {
        Placement.Replicas r = assertInstanceOf(Placement.Replicas.class,
                manual(pin("mac-b", M.wholeSlice()), pin("mac-a", M.wholeSlice())));
        assertEquals(ids("mac-b", "mac-a"), r.nodes());
    }

    @Test
    void shouldOverrideTheRequestedMode() {
        // the request says TENSOR; the pins say pipeline
        assertInstanceOf(Placement.Pipeline.class, manual(layers("mac-a", 0, 16), layers("mac-b", 16, 32)));
    }

    private static void assertInvalid(String reason, Placement p) {
        assertEquals(new Rejection(reason, Cause.INVALID_MANUAL), p);
    }

    @Test
    void shouldRejectAnUnknownNode() {
        assertInvalid("manual placement names node mac-z, which is not in the cluster",
                manual(layers("mac-a", 0, 16), layers("mac-z", 16, 32)));
    }

    @Test
    void shouldRejectANodePinnedTwice() {
        assertInvalid("manual placement pins node mac-a twice",
                manual(layers("mac-a", 0, 16), layers("mac-a", 16, 32)));
    }

    @Test
    void shouldRejectAGapBetweenStages() {
        assertInvalid("manual placement leaves layers 10..12 uncovered",
                manual(layers("mac-a", 0, 10), layers("mac-b", 12, 32)));
    }

    @Test
    void shouldRejectAGapAtTheStart() {
        assertInvalid("manual placement leaves layers 0..2 uncovered",
                manual(layers("mac-a", 2, 10), layers("mac-b", 10, 32)));
    }

    @Test
    void shouldRejectMissingLastLayers() {
        assertInvalid("manual placement leaves layers 30..32 uncovered",
                manual(layers("mac-a", 0, 10), layers("mac-b", 10, 30)));
    }

    @Test
    void shouldRejectOverlappingStages() {
        assertInvalid("manual placement overlaps: node mac-a holds layers 0..12 and node mac-b holds layers 10..32",
                manual(layers("mac-a", 0, 12), layers("mac-b", 10, 32)));
    }

    @Test
    void shouldRejectAWholeCopyBesideAPart() {
        assertInvalid("manual placement overlaps: node mac-b holds layers 0..16 and node mac-a holds layers 0..32",
                manual(pin("mac-a", M.wholeSlice()), layers("mac-b", 0, 16), layers("mac-c", 16, 32)));
    }

    @Test
    void shouldRejectKvHeadsLeftUncovered() {
        assertInvalid("stage layers 0..32 leaves KV heads 4..5 uncovered", manual(
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 5, 8, 7168, 14336, 64128, 128256))));
    }

    @Test
    void shouldRejectKvHeadsCoveredTwice() {
        assertInvalid("stage layers 0..32: KV heads 0..5 (node mac-a) and 4..8 (node mac-b) overlap", manual(
                pin("mac-a", new Slice(0, 32, 0, 5, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 4, 8, 7168, 14336, 64128, 128256))));
    }

    @Test
    void shouldRejectFfnColumnsLeftUncovered() {
        assertInvalid("stage layers 0..32 leaves FFN columns 10240..14336 uncovered", manual(
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 4, 8, 7168, 10240, 64128, 128256))));
    }

    @Test
    void shouldRejectFfnColumnsCoveredTwice() {
        assertInvalid("stage layers 0..32: FFN columns 0..7168 (node mac-a) and 0..7168 (node mac-b) overlap", manual(
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 4, 8, 0, 7168, 64128, 128256))));
    }

    @Test
    void shouldRejectVocabularyLeftUncovered() {
        assertInvalid("stage layers 0..32 leaves vocabulary rows 100000..128256 uncovered", manual(
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7168, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 4, 8, 7168, 14336, 64128, 100000))));
    }

    @Test
    void shouldRejectASliceBeyondTheModel() {
        assertInvalid("node mac-a's Slice[layers 0..40, kv heads 0..8, ffn 0..14336, vocab 0..128256) exceeds"
                        + " llama-3.1-8b (32 layers, 8 KV heads, FFN 14336, vocab 128256)",
                manual(pin("mac-a", new Slice(0, 40, 0, 8, 0, 14336, 0, 128256))));
    }

    @Test
    void shouldRejectFfnCutsOffBlockEdges() {
        Placement p = manual(
                pin("mac-a", new Slice(0, 32, 0, 4, 0, 7000, 0, 64128)),
                pin("mac-b", new Slice(0, 32, 4, 8, 7000, 14336, 64128, 128256)));
        assertEquals(new Rejection("node mac-a's ffn_down columns 0..7000 do not fall on Q4_K block edges (256 wide)",
                Cause.DIVISIBILITY), p);
    }

    @Test
    void shouldRejectAttnOutputCutsOffBlockEdges() {
        ModelShape m = tiny(GgmlType.Q4_K);
        Placement p = manual(m, macs(1, 1),
                pin("mac-a", new Slice(0, 2, 0, 1, 0, 512, 0, 256)),
                pin("mac-b", new Slice(0, 2, 1, 2, 512, 768, 256, 512)));
        assertEquals(new Rejection("node mac-a's attn_output columns 0..128 do not fall on Q4_K block edges (256"
                + " wide)", Cause.DIVISIBILITY), p);
    }

    @Test
    void shouldRejectANodeWithoutTheMemory() {
        ModelShape m = llama8b(GgmlType.F16);
        Placement p = manual(m, macs(12), pin("mac-a", m.wholeSlice()));
        assertEquals(new Rejection("manual placement does not fit: node mac-a needs 17.2 GiB (weights 15.0, KV cache"
                + " 2.0, overhead 0.3) for Slice[layers 0..32, kv heads 0..8, ffn 0..14336, vocab 0..128256), and it"
                + " has 12.0 GiB free", Cause.MEMORY), p);
    }
}
