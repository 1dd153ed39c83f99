package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shoal.sharding.Placement.Rejection;
import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RejectionTest {

    @ParameterizedTest
    @EnumSource(value = PlacementMode.class, names = {"AUTO", "PIPELINE", "TENSOR", "HYBRID"})
    void shouldGiveTheNeedAndTheFreeMemoryInGib(PlacementMode mode) {
        // weights 39 690 993 664 B = 36.97 GiB; KV 2 × 80 × 8 × 128 × 8192 × 4 = 5 GiB; overhead 3 × 256 MiB
        Placement p = plan(llama70b(GgmlType.Q4_K), macs(16, 16, 8), LinkMatrix.empty(), mode);
        assertEquals(new Rejection("llama-3.1-70b needs 42.7 GiB (weights 37.0, KV cache 5.0, overhead 0.8), the 3"
                + " nodes have 40.0 GiB free", Cause.MEMORY), p);
    }

    @Test
    void shouldSpeakOfOneNodeInTheSingular() {
        Placement p = plan(llama8b(GgmlType.F16), macs(12), LinkMatrix.empty(), PlacementMode.AUTO);
        assertEquals(new Rejection("llama-3.1-8b needs 17.2 GiB (weights 15.0, KV cache 2.0, overhead 0.3), the 1"
                + " node has 12.0 GiB free", Cause.MEMORY), p);
    }

    @Test
    void shouldShowMoreDecimalsWhenNeedAndFreeWouldReadAlike() {
        // need 42.465 GiB, free 42.46 GiB: both "42.5" at one decimal
        Placement p = plan(llama70b(GgmlType.Q4_K), macs(21.23, 21.23), LinkMatrix.empty(), PlacementMode.PIPELINE);
        assertEquals("llama-3.1-70b needs 42.47 GiB (weights 36.97, KV cache 5.00, overhead 0.50), the 2 nodes have"
                + " 42.46 GiB free", assertInstanceOf(Rejection.class, p).reason());
    }

    @Test
    void shouldCountTheKvCacheOfEverySequenceInTheBatch() {
        // four sequences of 8k: 20 GiB of KV cache, more than the weights leave on a 48 GiB Mac
        Placement p = Fixtures.PLANNER.plan(llama70b(GgmlType.Q4_K), macs(48), LinkMatrix.empty(),
                PlacementRequest.auto(8192, 4));
        assertEquals("llama-3.1-70b needs 57.2 GiB (weights 37.0, KV cache 20.0, overhead 0.3), the 1 node has 48.0"
                + " GiB free", assertInstanceOf(Rejection.class, p).reason());
    }

    @Test
    void shouldRejectAContextLongerThanTrained() {
        Placement p = Fixtures.PLANNER.plan(llama8b(GgmlType.Q4_K), macs(64), LinkMatrix.empty(),
                PlacementRequest.auto(200_000, 1));
        assertEquals(new Rejection("a context of 200000 tokens exceeds llama-3.1-8b's trained context of 131072",
                Cause.INVALID_REQUEST), p);
    }

    @Test
    void shouldRejectAnEmptyFleet() {
        Placement p = plan(llama8b(GgmlType.Q4_K), List.of(), LinkMatrix.empty(), PlacementMode.AUTO);
        assertEquals(new Rejection("no nodes to place llama-3.1-8b on", Cause.NO_NODES), p);
    }

    @Test
    void shouldRejectANodeListedTwice() {
        Placement p = plan(llama8b(GgmlType.Q4_K), macs(16, 16).reversed().stream()
                .map(n -> NodeCapability.of("mac-a", n.memoryBudgetBytes())).toList(), LinkMatrix.empty(),
                PlacementMode.AUTO);
        assertEquals(new Rejection("node mac-a is listed twice", Cause.INVALID_REQUEST), p);
    }

    @Test
    void shouldRefuseMeaninglessRequestsAsBugs() {
        assertThrows(IllegalArgumentException.class, () -> PlacementRequest.auto(0, 1));
        assertThrows(IllegalArgumentException.class, () -> PlacementRequest.auto(8192, 0));
        assertThrows(IllegalArgumentException.class, () -> NodeCapability.of("a", -1));
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(" "));
    }
}
