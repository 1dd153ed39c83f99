package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.GIGABIT;
import static dev.shoal.sharding.Fixtures.THUNDERBOLT;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.request;
import static dev.shoal.sharding.Fixtures.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import org.junit.jupiter.api.Test;

class HybridTest {

    /** Two Thunderbolt pairs (a–b, c–d) joined by gigabit Ethernet. */
    private static LinkMatrix twoIslands() {
        return LinkMatrix.uniform(ids("mac-a", "mac-b", "mac-c", "mac-d"), GIGABIT)
                .with(id("mac-a"), id("mac-b"), THUNDERBOLT)
                .with(id("mac-c"), id("mac-d"), THUNDERBOLT);
    }

    private static Placement.Hybrid hybrid(ModelShape m, List<NodeCapability> nodes, LinkMatrix links,
                                           PlannerSettings settings) {
        PlacementRequest request = request(m, PlacementMode.HYBRID);
        Placement p = new Planner(settings).plan(m, nodes, links, request);
        Placement.Hybrid h = assertInstanceOf(Placement.Hybrid.class, p, () -> p.toString());
        PlanInvariants.check(m, nodes, request, settings, h);
        return h;
    }

    private static List<List<NodeId>> groups(Placement.Hybrid h) {
        return h.stages().stream().map(s -> s.stream().map(Rank::node).toList()).toList();
    }

    @Test
    void shouldMakeTensorGroupsOfFastLinkedNodesAndAPipelineAcrossThem() {
        ModelShape m = llama70b(GgmlType.Q4_K);
        Placement.Hybrid h = hybrid(m, macs(16, 16, 16, 16), twoIslands(), PlannerSettings.DEFAULTS);
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c", "mac-d")), groups(h));
        // the first group also holds the embedding (whole, on each rank), so it takes a layer fewer
        assertEquals(39, h.stages().getFirst().getFirst().slice().layerEnd());
        assertEquals(2, h.stageCount());
    }

    @Test
    void shouldGroupByTheConfiguredThresholds() {
        // count gigabit as fast and the four Macs are one tensor group
        PlannerSettings lenient = PlannerSettings.DEFAULTS.withFastLink(500, 100_000_000L);
        Placement.Hybrid h = hybrid(llama70b(GgmlType.Q4_K), macs(16, 16, 16, 16), twoIslands(), lenient);
        assertEquals(List.of(ids("mac-a", "mac-b", "mac-c", "mac-d")), groups(h));
    }

    @Test
    void shouldTreatUnmeasuredLinksAsSlow() {
        LinkMatrix onlyAB = LinkMatrix.empty().with(id("mac-a"), id("mac-b"), THUNDERBOLT);
        Placement.Hybrid h = hybrid(llama70b(GgmlType.Q4_K), macs(16, 16, 16, 16), onlyAB, PlannerSettings.DEFAULTS);
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c"), ids("mac-d")), groups(h));
    }

    @Test
    void shouldCutAGroupThatWouldNotDivideIntoSmallerOnes() {
        // three fast nodes but only 2 KV heads: a group of 2 and a group of 1
        ModelShape m = tiny(GgmlType.Q8_0);
        LinkMatrix fast = LinkMatrix.uniform(ids("mac-a", "mac-b", "mac-c"), THUNDERBOLT);
        Placement.Hybrid h = hybrid(m, macs(1, 1, 1), fast, PlannerSettings.DEFAULTS);
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c")), groups(h));
    }

    @Test
    void shouldFallBackToOneNodeGroupsWhenNoSplitDivides() {
        // Q4_K tiny cannot be split at all: every node is its own stage
        ModelShape m = tiny(GgmlType.Q4_K);
        LinkMatrix fast = LinkMatrix.uniform(ids("mac-a", "mac-b"), THUNDERBOLT);
        Placement.Hybrid h = hybrid(m, macs(1, 1), fast, PlannerSettings.DEFAULTS);
        assertEquals(List.of(ids("mac-a"), ids("mac-b")), groups(h));
    }

    @Test
    void shouldKeepFastPairsTogetherWhateverTheFreeMemoryOrder() {
        // free memory orders a, c, b, d; links pair a–b and c–d
        List<NodeCapability> nodes = macs(30, 20, 28, 18);
        Placement.Hybrid h = hybrid(llama70b(GgmlType.Q4_K), nodes, twoIslands(), PlannerSettings.DEFAULTS);
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c", "mac-d")), groups(h));
    }
}
