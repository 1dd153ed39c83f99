package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.GIGABIT;
import static dev.shoal.sharding.Fixtures.THUNDERBOLT;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.shoal.tensor.quant.GgmlType;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeterminismTest {

    @ParameterizedTest
    @EnumSource(PlacementMode.class)
    void shouldGiveTheSamePlanForTheSameInputInAnyOrder(PlacementMode mode) {
        ModelShape m = llama70b(GgmlType.Q4_K);
        List<NodeCapability> nodes = macs(24, 16, 20, 16);
        LinkMatrix links = LinkMatrix.uniform(Fixtures.ids(nodes), GIGABIT)
                .with(id("mac-a"), id("mac-c"), THUNDERBOLT);
        // the same measures, taken in another order
        LinkMatrix sameLinks = LinkMatrix.uniform(Fixtures.ids(nodes.reversed()), GIGABIT)
                .with(id("mac-c"), id("mac-a"), THUNDERBOLT);
        assertEquals(links, sameLinks);
        Planner planner = Fixtures.PLANNER;
        Placement first = planner.plan(m, nodes, links, request(m, mode));
        Placement again = new Planner(PlannerSettings.DEFAULTS).plan(m, nodes, links, request(m, mode));
        Placement reordered = planner.plan(m, nodes.reversed(), sameLinks, request(m, mode));
        assertNotSame(first, again);
        assertEquals(first, again);
        assertEquals(first, reordered);
    }
}
