package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.ALL_FILES;
import static dev.shoal.sharding.Fixtures.GIB;
import static dev.shoal.sharding.Fixtures.THUNDERBOLT;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.llama1b;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.node;
import static dev.shoal.sharding.Fixtures.plan;
import static dev.shoal.sharding.Fixtures.withoutFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReplicasTest {

    @ParameterizedTest
    @EnumSource(value = PlacementMode.class, names = {"AUTO", "REPLICAS"})
    void shouldPutTheWholeModelOnEveryNodeThatFitsItMostFreeFirst(PlacementMode mode) {
        // 8B Q4_K with 8k context needs 6.5 GiB: every Mac of 16–64 GiB holds a copy
        Placement p = plan(llama8b(GgmlType.Q4_K), macs(16, 64, 32, 16), LinkMatrix.empty(), mode);
        Placement.Replicas r = assertInstanceOf(Placement.Replicas.class, p);
        assertEquals(ids("mac-b", "mac-c", "mac-a", "mac-d"), r.nodes());
        assertEquals(llama8b(GgmlType.Q4_K).wholeSlice(), r.slice());
        assertEquals("6.5", Gib.number(r.memory().total()));
    }

    @Test
    void shouldLeaveOutNodesTooSmallForAWholeCopy() {
        // 8B F16 needs 17.2 GiB with 8k context: only the 32 and 64 GiB Macs hold it
        Placement p = plan(llama8b(GgmlType.F16), macs(16, 64, 32, 16), LinkMatrix.empty(), PlacementMode.AUTO);
        assertEquals(ids("mac-b", "mac-c"), assertInstanceOf(Placement.Replicas.class, p).nodes());
    }

    @Test
    void shouldCountOnlyTheBudgetNotYetUsed() {
        List<NodeCapability> nodes = List.of(
                new NodeCapability(NodeId.of("busy"), 64 * GIB, 60 * GIB, 10, ALL_FILES),
                new NodeCapability(NodeId.of("idle"), 16 * GIB, 0, 8, ALL_FILES));
        Placement p = plan(llama8b(GgmlType.Q4_K), nodes, LinkMatrix.empty(), PlacementMode.AUTO);
        assertEquals(ids("idle"), assertInstanceOf(Placement.Replicas.class, p).nodes());
    }

    @Test
    void shouldPutReplicasOnlyOnNodesThatHaveTheModelFile() {
        List<NodeCapability> nodes = List.of(
                new NodeCapability(NodeId.of("a"), 16 * GIB, 0, 8, Set.of()),
                new NodeCapability(NodeId.of("b"), 16 * GIB, 0, 8, Set.of("llama-3.2-1b")),
                new NodeCapability(NodeId.of("c"), 16 * GIB, 0, 12, Set.of("llama-3.2-1b", "other")),
                new NodeCapability(NodeId.of("d"), 32 * GIB, 0, 8, Set.of("other")));
        Placement p = plan(llama1b(GgmlType.Q8_0), nodes, LinkMatrix.empty(), PlacementMode.REPLICAS);
        // a replica runs from the node's own file: d (most free) and a have none; among equals more cores first
        assertEquals(ids("c", "b"), assertInstanceOf(Placement.Replicas.class, p).nodes());
    }

    @Test
    void shouldRejectReplicasWhenNoNodeHasTheFileButSplitOverNodesWithoutIt() {
        List<NodeCapability> nodes = List.of(withoutFiles("mac-a", 16), withoutFiles("mac-b", 16));
        Placement.Rejection r = assertInstanceOf(Placement.Rejection.class,
                plan(llama1b(GgmlType.Q8_0), nodes, LinkMatrix.empty(), PlacementMode.REPLICAS));
        assertEquals("a whole copy of llama-3.2-1b runs from a node's own file, and none of the 2 nodes has it",
                r.reason());
        assertEquals(Placement.Rejection.Cause.NO_NODES, r.cause());
        // a split needs no file on the node: its slices are fetched from a node that has it
        assertInstanceOf(Placement.Pipeline.class,
                plan(llama1b(GgmlType.Q8_0), nodes, LinkMatrix.empty(), PlacementMode.PIPELINE));
    }

    @Test
    void autoShouldSplitOverANodeWithoutTheFileWhenNoHolderFitsAWholeCopy() {
        // 8B F16 with 8k context needs 17.2 GiB: the 64 GiB Mac could hold it whole but has no file, the 16 GiB one
        // that has it cannot; so the two share it
        List<NodeCapability> nodes = List.of(withoutFiles("big", 64), node("small", 16));
        Placement p = plan(llama8b(GgmlType.F16), nodes, LinkMatrix.uniform(ids("big", "small"), THUNDERBOLT),
                PlacementMode.AUTO);
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class, p);
        assertEquals(Set.of(id("big"), id("small")),
                t.ranks().stream().map(Rank::node).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void shouldPlaceA70bWholeOnA64GibMac() {
        Placement p = plan(llama70b(GgmlType.Q4_K), macs(16, 64, 32), LinkMatrix.empty(), PlacementMode.AUTO);
        assertEquals(ids("mac-b"), assertInstanceOf(Placement.Replicas.class, p).nodes());
    }

    @Test
    void shouldRejectExplicitReplicasWhenNoNodeHoldsACopy() {
        Placement p = plan(llama8b(GgmlType.F16), macs(16, 12), LinkMatrix.empty(), PlacementMode.REPLICAS);
        Placement.Rejection r = assertInstanceOf(Placement.Rejection.class, p);
        assertEquals("no node can hold a whole copy of llama-3.1-8b: it needs 17.2 GiB (weights 15.0, KV cache 2.0,"
                + " overhead 0.3), the most free is 16.0 GiB on mac-a", r.reason());
        assertEquals(Placement.Rejection.Cause.MEMORY, r.cause());
    }

    @Test
    void shouldScaleTheKvCacheWithContextAndBatch() {
        ModelShape m = llama8b(GgmlType.Q4_K);
        Placement p = Fixtures.PLANNER.plan(m, macs(64), LinkMatrix.empty(), PlacementRequest.auto(32768, 4));
        // 2 × 32 layers × 8 KV heads × 128 × 32768 × 4 bytes × 4 sequences = 32 GiB
        assertEquals(32 * GIB, assertInstanceOf(Placement.Replicas.class, p).memory().kvCacheBytes());
    }
}
