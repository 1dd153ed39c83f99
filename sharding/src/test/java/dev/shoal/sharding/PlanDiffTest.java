package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.ALL_FILES;
import static dev.shoal.sharding.Fixtures.GIB;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.node;
import static dev.shoal.sharding.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.sharding.PlanDiff.Decision;
import dev.shoal.tensor.quant.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanDiffTest {

    private static final ModelShape BIG = llama70b(GgmlType.Q4_K);
    private static final ModelShape SMALL = llama8b(GgmlType.Q4_K);
    private static final PlannerSettings S = PlannerSettings.DEFAULTS;

    private static Placement auto(ModelShape m, List<NodeCapability> nodes) {
        return plan(m, nodes, LinkMatrix.empty(), PlacementMode.AUTO);
    }

    private static List<NodeCapability> with(List<NodeCapability> nodes, NodeCapability extra) {
        List<NodeCapability> all = new ArrayList<>(nodes);
        all.add(extra);
        return all;
    }

    @Test
    void shouldAdoptAPlanWhenNothingIsPlaced() {
        List<NodeCapability> nodes = macs(32, 32);
        PlanDiff d = PlanDiff.compare(auto(BIG, macs(16, 8)), auto(BIG, nodes), nodes, S);
        assertEquals(Decision.ADOPT, d.decision());
        assertEquals(ids("mac-a", "mac-b"), d.changed());
    }

    @Test
    void shouldAdoptFewerStagesWhenABigNodeJoins() {
        List<NodeCapability> before = macs(16, 16, 16);
        Placement current = auto(BIG, before);
        assertEquals(3, assertInstanceOf(Placement.Pipeline.class, current).stageCount());
        List<NodeCapability> after = with(before, node("studio", 64));
        PlanDiff d = PlanDiff.compare(current, auto(BIG, after), after, S);
        assertEquals(new PlanDiff(Decision.ADOPT, "fewer pipeline stages (1 instead of 3)",
                ids("mac-a", "mac-b", "mac-c", "studio")), d);
    }

    @Test
    void shouldAdoptAnotherReplicaAndReloadOnlyTheNewNode() {
        List<NodeCapability> before = macs(32);
        List<NodeCapability> after = with(before, node("mac-b", 16));
        PlanDiff d = PlanDiff.compare(auto(SMALL, before), auto(SMALL, after), after, S);
        assertEquals(new PlanDiff(Decision.ADOPT, "more replicas (2 instead of 1)", ids("mac-b")), d);
    }

    @Test
    void shouldKeepAPlanWithMoreReplicas() {
        List<NodeCapability> nodes = macs(32, 16, 16);
        Placement three = auto(SMALL, nodes);
        Placement two = auto(SMALL, nodes.subList(0, 2));
        PlanDiff d = PlanDiff.compare(three, two, nodes, S);
        assertEquals(Decision.KEEP, d.decision());
        assertEquals(List.of(), d.changed());
    }

    @Test
    void shouldKeepTheSamePlan() {
        List<NodeCapability> nodes = macs(16, 16, 16);
        PlanDiff d = PlanDiff.compare(auto(BIG, nodes), auto(BIG, nodes), nodes, S);
        assertEquals(new PlanDiff(Decision.KEEP, "the new plan is the current one", List.of()), d);
    }

    @Test
    void shouldMoveOffALostNode() {
        List<NodeCapability> before = macs(16, 16, 16);
        List<NodeCapability> after = with(before.subList(0, 2), node("mac-d", 32));
        PlanDiff d = PlanDiff.compare(auto(BIG, before), auto(BIG, after), after, S);
        assertEquals(Decision.ADOPT, d.decision());
        assertEquals("the current plan lost node mac-c", d.reason());
    }

    @Test
    void shouldReportAModelThatCanNoLongerBePlaced() {
        List<NodeCapability> before = macs(16, 16, 16);
        List<NodeCapability> after = before.subList(0, 2);
        PlanDiff d = PlanDiff.compare(auto(BIG, before), auto(BIG, after), after, S);
        assertEquals(new PlanDiff(Decision.UNPLACEABLE, "the current plan lost node mac-c; no new plan fits:"
                + " llama-3.1-70b needs 42.5 GiB (weights 37.0, KV cache 5.0, overhead 0.5), the 2 nodes have 32.0"
                + " GiB free", List.of()), d);
    }

    @Test
    void shouldMoveWhenANodeNoLongerHasTheMemory() {
        List<NodeCapability> before = macs(16, 16);
        List<NodeCapability> after = List.of(before.get(0),
                new NodeCapability(id("mac-b"), 16 * GIB, 12 * GIB, 1, ALL_FILES));
        PlanDiff d = PlanDiff.compare(auto(SMALL, before), auto(SMALL, after), after, S);
        assertEquals(new PlanDiff(Decision.ADOPT, "the current plan no longer fits node mac-b (needs 6.5 GiB, 4.0 GiB"
                + " free)", ids("mac-b")), d);
    }

    @Test
    void shouldKeepTheCurrentPlanWhenNothingNewFits() {
        List<NodeCapability> nodes = macs(16, 16, 16);
        PlanDiff d = PlanDiff.compare(auto(BIG, nodes), auto(BIG, macs(8)), nodes, S);
        assertEquals(Decision.KEEP, d.decision());
    }

    /** A pipeline of the 70B over two 32 GiB Macs with the cut where the user put it. */
    private static Placement cutAt(int layer, List<NodeCapability> nodes) {
        PlacementRequest r = PlacementRequest.manual(ManualPlacement.of(
                new Pin(id("mac-a"), BIG.stageSlice(0, layer)), new Pin(id("mac-b"), BIG.stageSlice(layer, 80))),
                8192, 1);
        return Fixtures.PLANNER.plan(BIG, nodes, LinkMatrix.empty(), r);
    }

    @Test
    void shouldAdoptMuchMoreHeadroom() {
        List<NodeCapability> nodes = macs(32, 32);
        Placement lopsided = cutAt(60, nodes);
        Placement balanced = auto(BIG, nodes);
        PlanDiff d = PlanDiff.compare(lopsided, balanced, nodes, S);
        assertEquals(Decision.ADOPT, d.decision());
        assertEquals("more memory headroom on the tightest node (34 % instead of 2 %)", d.reason());
    }

    @Test
    void shouldNotMoveForALittleHeadroom() {
        List<NodeCapability> nodes = macs(32, 32);
        PlanDiff d = PlanDiff.compare(cutAt(41, nodes), auto(BIG, nodes), nodes, S);
        assertEquals(Decision.KEEP, d.decision());
    }

    @Test
    void shouldDecideTheSameWayEveryTime() {
        List<NodeCapability> nodes = macs(32, 32);
        assertEquals(PlanDiff.compare(cutAt(60, nodes), auto(BIG, nodes), nodes, S),
                PlanDiff.compare(cutAt(60, nodes), auto(BIG, nodes), nodes, S));
    }
}
