package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.GIGABIT;
import static dev.shoal.sharding.Fixtures.THUNDERBOLT;
import static dev.shoal.sharding.Fixtures.WIFI;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.layerRanges;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.request;
import static dev.shoal.sharding.Fixtures.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoTest {

    private static Placement auto(ModelShape m, List<NodeCapability> nodes, LinkMatrix links) {
        return auto(m, nodes, links, PlannerSettings.DEFAULTS);
    }

    private static Placement auto(ModelShape m, List<NodeCapability> nodes, LinkMatrix links, PlannerSettings s) {
        PlacementRequest request = request(m, PlacementMode.AUTO);
        Placement p = new Planner(s).plan(m, nodes, links, request);
        if (p instanceof Placement.Plan plan) {
            PlanInvariants.check(m, nodes, request, s, plan);
        }
        return p;
    }

    private static LinkMatrix all(List<NodeCapability> nodes, Link link) {
        return LinkMatrix.uniform(Fixtures.ids(nodes), link);
    }

    @Test
    void shouldReplicateAModelThatFitsOneNodeWhateverTheLinks() {
        List<NodeCapability> nodes = macs(16, 16, 32);
        Placement p = auto(llama8b(GgmlType.Q8_0), nodes, all(nodes, THUNDERBOLT));
        assertEquals(ids("mac-c", "mac-a", "mac-b"), assertInstanceOf(Placement.Replicas.class, p).nodes());
    }

    @Test
    void shouldSplitByTensorOverFastLinksOnTheFewestNodesThatHoldIt() {
        // 70B Q4_K needs 42.7 GiB: three 16 GiB Macs on Thunderbolt, the fourth stays free
        List<NodeCapability> nodes = macs(16, 16, 16, 16);
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class,
                auto(llama70b(GgmlType.Q4_K), nodes, all(nodes, THUNDERBOLT)));
        assertEquals(ids("mac-a", "mac-b", "mac-c"), t.nodes());
        assertEquals(List.of(2, 3, 3), t.ranks().stream().map(r -> r.slice().kvHeadCount()).toList());
    }

    @Test
    void shouldPreferATensorSplitOverMoreNodesToAPipelineOverFewer() {
        // on three 15 GiB Macs the 3-head ranks need 15.3 GiB; a pipeline would fit, but over Thunderbolt four
        // tensor ranks (2 heads each) are the faster plan
        List<NodeCapability> nodes = macs(15, 15, 15, 15);
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class,
                auto(llama70b(GgmlType.Q4_K), nodes, all(nodes, THUNDERBOLT)));
        assertEquals(4, t.ranks().size());
    }

    @Test
    void shouldPipelineOverSlowLinks() {
        List<NodeCapability> nodes = macs(16, 16, 16, 16);
        for (LinkMatrix links : List.of(all(nodes, GIGABIT), all(nodes, WIFI), LinkMatrix.empty())) {
            Placement.Pipeline p = assertInstanceOf(Placement.Pipeline.class,
                    auto(llama70b(GgmlType.Q4_K), nodes, links));
            assertEquals(List.of(List.of(0, 26), List.of(26, 54), List.of(54, 80)), layerRanges(p));
        }
    }

    @Test
    void shouldMakeAHybridOverMixedLinks() {
        List<NodeCapability> nodes = macs(16, 16, 16, 16);
        LinkMatrix links = all(nodes, GIGABIT).with(id("mac-a"), id("mac-b"), THUNDERBOLT);
        Placement.Hybrid h = assertInstanceOf(Placement.Hybrid.class, auto(llama70b(GgmlType.Q4_K), nodes, links));
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c")),
                h.stages().stream().map(s -> s.stream().map(Rank::node).toList()).toList());
        assertEquals(53, h.stages().getFirst().getFirst().slice().layerEnd());
    }

    @Test
    void shouldPipelineOverFastLinksWhenTheTensorSplitDoesNotDivide() {
        // tiny Q4_K cannot be split by heads; with overhead off and 70 % of its need on each node it takes two stages
        ModelShape m = tiny(GgmlType.Q4_K);
        PlannerSettings noOverhead = PlannerSettings.DEFAULTS.withOverheadBytes(0);
        long whole = RankMemory.of(m, m.wholeSlice(), 512, 1, 0).total();
        List<NodeCapability> nodes = List.of(NodeCapability.of("mac-a", whole * 7 / 10),
                NodeCapability.of("mac-b", whole * 7 / 10));
        Placement.Pipeline p = assertInstanceOf(Placement.Pipeline.class,
                auto(m, nodes, all(nodes, THUNDERBOLT), noOverhead));
        assertEquals(List.of(List.of(0, 1), List.of(1, 2)), layerRanges(p));
    }

    @Test
    void shouldExplainWhenTheFleetIsTooSmall() {
        Placement p = auto(llama70b(GgmlType.Q4_K), macs(16, 16, 8), LinkMatrix.empty());
        assertEquals(new Placement.Rejection("llama-3.1-70b needs 42.7 GiB (weights 37.0, KV cache 5.0, overhead"
                + " 0.8), the 3 nodes have 40.0 GiB free", Placement.Rejection.Cause.MEMORY), p);
    }

    @Test
    void shouldExplainWhenTheMemoryIsThereButNoSplitFitsIt() {
        // 18 GiB in all for a 17.5 GiB need, but the 1 GiB Mac cannot take even the last layer with the output
        Placement p = auto(llama8b(GgmlType.F16), macs(17, 1), LinkMatrix.empty());
        assertEquals(new Placement.Rejection("no pipeline over the 2 nodes fits: the best split gives node mac-b"
                + " layers 31..32, which needs 1.7 GiB (weights 1.4, KV cache 0.1, overhead 0.3), and it has 1.0 GiB"
                + " free", Placement.Rejection.Cause.MEMORY), p);
    }
}
