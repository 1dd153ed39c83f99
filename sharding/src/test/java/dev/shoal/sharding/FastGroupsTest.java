package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.GIGABIT;
import static dev.shoal.sharding.Fixtures.THUNDERBOLT;
import static dev.shoal.sharding.Fixtures.WIFI;
import static dev.shoal.sharding.Fixtures.id;
import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.macs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FastGroupsTest {

    private static final PlannerSettings S = PlannerSettings.DEFAULTS;

    @Test
    void shouldTreatALinkAsTheSameBothWays() {
        LinkMatrix m = LinkMatrix.empty().with(id("b"), id("a"), THUNDERBOLT);
        assertEquals(Optional.of(THUNDERBOLT), m.between(id("a"), id("b")));
        assertEquals(Optional.of(THUNDERBOLT), m.between(id("b"), id("a")));
        assertEquals(Optional.empty(), m.between(id("a"), id("c")));
    }

    @Test
    void shouldReplaceAnEarlierMeasure() {
        LinkMatrix m = LinkMatrix.empty().with(id("a"), id("b"), WIFI).with(id("b"), id("a"), THUNDERBOLT);
        assertEquals(1, m.size());
        assertTrue(m.isFast(id("a"), id("b"), S));
    }

    @Test
    void shouldNeedBothLowLatencyAndHighBandwidth() {
        assertTrue(THUNDERBOLT.isFast(S));
        assertFalse(GIGABIT.isFast(S));
        assertFalse(new Link(50, 100_000_000L).isFast(S)); // quick but narrow
        assertFalse(new Link(5_000, 10_000_000_000L).isFast(S)); // wide but far
        assertTrue(GIGABIT.isFast(S.withFastLink(300, 100_000_000L)));
    }

    @Test
    void shouldCallUnknownSlowAndANodeFastToItself() {
        assertFalse(LinkMatrix.empty().isFast(id("a"), id("b"), S));
        assertTrue(LinkMatrix.empty().isFast(id("a"), id("a"), S));
        assertThrows(IllegalArgumentException.class, () -> LinkMatrix.empty().with(id("a"), id("a"), THUNDERBOLT));
    }

    @Test
    void shouldGroupOnlyNodesFastToEveryMember() {
        // a–b, b–c fast but a–c slow: c cannot join a's group
        LinkMatrix m = LinkMatrix.empty().with(id("mac-a"), id("mac-b"), THUNDERBOLT)
                .with(id("mac-b"), id("mac-c"), THUNDERBOLT).with(id("mac-a"), id("mac-c"), GIGABIT);
        List<List<NodeCapability>> groups = FastGroups.of(macs(16, 16, 16), m, S);
        assertEquals(List.of(ids("mac-a", "mac-b"), ids("mac-c")),
                groups.stream().map(Fixtures::ids).toList());
    }

    @Test
    void shouldClassifyTheLinksAmongNodes() {
        List<NodeCapability> nodes = macs(16, 16, 16);
        LinkMatrix all = LinkMatrix.uniform(ids(nodes), THUNDERBOLT);
        assertEquals(FastGroups.Kind.ALL_FAST, FastGroups.kind(nodes, all, S));
        assertEquals(FastGroups.Kind.NONE_FAST, FastGroups.kind(nodes, LinkMatrix.empty(), S));
        assertEquals(FastGroups.Kind.MIXED,
                FastGroups.kind(nodes, LinkMatrix.empty().with(id("mac-a"), id("mac-c"), THUNDERBOLT), S));
        assertEquals(FastGroups.Kind.ALL_FAST, FastGroups.kind(macs(16), LinkMatrix.empty(), S));
    }
}
