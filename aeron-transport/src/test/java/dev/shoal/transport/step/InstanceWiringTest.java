package dev.shoal.transport.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.shoal.transport.Endpoint;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The wiring every node derives from the same plain data: positions, stream ids, who talks to whom. */
class InstanceWiringTest {

    private static List<DataAddress> hosts(final int n) {
        final List<DataAddress> addresses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            addresses.add(new DataAddress("10.0.0." + (i + 1), 40_000 + i));
        }
        return addresses;
    }

    @Test
    void streamIdsShouldBePositiveAndDistinctForAThousandInstancesOfSixtyFourPositions() {
        final Set<Integer> seen = new HashSet<>();
        for (int instance = 0; instance < 1000; instance++) {
            for (final StreamPurpose purpose : StreamPurpose.values()) {
                for (int position = 0; position < StreamIds.MAX_POSITIONS; position++) {
                    final int id = StreamIds.of(instance, purpose, position);
                    assertTrue(id >= StreamIds.BASE, "id " + id);
                    assertTrue(seen.add(id), "collision at instance " + instance + " " + purpose + " " + position);
                }
            }
        }
        assertEquals(1000 * 4 * 64, seen.size());
        final int highest = StreamIds.of(StreamIds.MAX_INSTANCES - 1, StreamPurpose.LOGITS_RETURN, 63);
        assertTrue(highest > StreamIds.BASE, "the largest id must not overflow: " + highest);
        assertEquals(1_048_576 + 7 * 256 + 2 * 64 + 5, StreamIds.of(7, StreamPurpose.STAGE_HANDOFF, 5),
                "the documented formula");
        assertThrows(IllegalArgumentException.class, () -> StreamIds.of(StreamIds.MAX_INSTANCES,
                StreamPurpose.STEP_FEED, 0));
        assertThrows(IllegalArgumentException.class, () -> StreamIds.of(0, StreamPurpose.STEP_FEED, 64));
        assertThrows(IllegalArgumentException.class, () -> StreamIds.of(-1, StreamPurpose.STEP_FEED, 0));
    }

    @Test
    void positionsShouldBeNumberedStageMajor() {
        final InstanceWiring w = new InstanceWiring(3, List.of(2, 3, 1), hosts(6));
        assertEquals(6, w.positionCount());
        assertEquals(3, w.stageCount());
        final int[][] stageRank = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}};
        for (int p = 0; p < 6; p++) {
            assertEquals(stageRank[p][0], w.stageOf(p), "stage of " + p);
            assertEquals(stageRank[p][1], w.rankOf(p), "rank of " + p);
            assertEquals(p, w.position(stageRank[p][0], stageRank[p][1]));
        }
        assertEquals(5, w.logitsSender());
    }

    @Test
    void everyEndpointShouldBeTheListenersAddressWithItsOwnStream() {
        final InstanceWiring w = new InstanceWiring(9, List.of(2, 2), hosts(4));
        assertEquals(new Endpoint.Udp("10.0.0.3", 40_002, StreamIds.of(9, StreamPurpose.STEP_FEED, 2)),
                w.stepFeed(2));
        assertEquals(List.of(new Endpoint.Udp("10.0.0.3", 40_002, StreamIds.of(9, StreamPurpose.COLLECTIVE, 2)),
                new Endpoint.Udp("10.0.0.4", 40_003, StreamIds.of(9, StreamPurpose.COLLECTIVE, 3))),
                w.collective(1));
        assertEquals(new Endpoint.Udp("10.0.0.4", 40_003, StreamIds.of(9, StreamPurpose.STAGE_HANDOFF, 3)),
                w.handoff(3));
        assertEquals(new Endpoint.Udp("10.0.0.1", 40_000, StreamIds.of(9, StreamPurpose.LOGITS_RETURN, 0)),
                w.logitsReturn());
        // rank r of stage 1 hears from rank r of stage 0
        assertEquals(0, w.handoffSource(2));
        assertEquals(1, w.handoffSource(3));
        assertEquals(List.of(2), w.handoffTargets(0));
        assertEquals(List.of(3), w.handoffTargets(1));
        assertEquals(List.of(), w.handoffTargets(3));
        assertThrows(IllegalArgumentException.class, () -> w.stepFeed(0));
        assertThrows(IllegalArgumentException.class, () -> w.handoff(1));
        assertThrows(IllegalStateException.class,
                () -> new InstanceWiring(9, List.of(2), hosts(2)).logitsReturn());
    }

    @Test
    void positionsSharingOneDriverShouldListenOverIpcAndAnyOtherMixShouldStayOnUdp() {
        final String hostDriver = "/dev/shm/shoal-host#4242@1764130000000";
        final List<DataAddress> shared = List.of(new DataAddress("127.0.0.1", 40_000, hostDriver),
                new DataAddress("127.0.0.1", 40_001, hostDriver), new DataAddress("127.0.0.1", 40_002, hostDriver));
        final InstanceWiring ipc = new InstanceWiring(9, List.of(2, 1), shared);
        assertTrue(ipc.overIpc());
        assertEquals(new Endpoint.Ipc(StreamIds.of(9, StreamPurpose.STEP_FEED, 2)), ipc.stepFeed(2));
        assertEquals(List.of(new Endpoint.Ipc(StreamIds.of(9, StreamPurpose.COLLECTIVE, 0)),
                new Endpoint.Ipc(StreamIds.of(9, StreamPurpose.COLLECTIVE, 1))), ipc.collective(0));
        assertEquals(new Endpoint.Ipc(StreamIds.of(9, StreamPurpose.STAGE_HANDOFF, 2)), ipc.handoff(2));
        assertEquals(new Endpoint.Ipc(StreamIds.of(9, StreamPurpose.LOGITS_RETURN, 0)), ipc.logitsReturn());

        // one position on a driver of its own, or on another host's driver at the same path: all UDP
        final String otherHost = "/dev/shm/shoal-host#977@1764130000123";
        for (final DataAddress odd : List.of(new DataAddress("127.0.0.1", 40_002),
                new DataAddress("10.0.0.9", 40_002, otherHost))) {
            final InstanceWiring mixed = new InstanceWiring(9, List.of(2, 1), List.of(shared.get(0), shared.get(1),
                    odd));
            assertFalse(mixed.overIpc());
            assertEquals(new Endpoint.Udp("127.0.0.1", 40_001, StreamIds.of(9, StreamPurpose.COLLECTIVE, 1)),
                    mixed.collective(0).get(1));
        }
        // nodes with drivers of their own never share one, even with equal (empty) ids
        assertFalse(new InstanceWiring(9, List.of(2), hosts(2)).overIpc());
    }

    @Test
    void unequalStagesShouldHandOffFromRankRModTheSenderStageSize() {
        // 2 → 1: rank 1 of stage 0 sends nowhere
        final InstanceWiring narrowing = new InstanceWiring(0, List.of(2, 1), hosts(3));
        assertEquals(List.of(2), narrowing.handoffTargets(0));
        assertEquals(List.of(), narrowing.handoffTargets(1));
        assertEquals(0, narrowing.handoffSource(2));
        // 1 → 3 → 2: the single rank feeds all three; then ranks 0 and 1 feed one each, rank 2 none
        final InstanceWiring w = new InstanceWiring(0, List.of(1, 3, 2), hosts(6));
        assertEquals(List.of(1, 2, 3), w.handoffTargets(0));
        assertEquals(List.of(4), w.handoffTargets(1));
        assertEquals(List.of(5), w.handoffTargets(2));
        assertEquals(List.of(), w.handoffTargets(3));
        // 2 → 5: rank r' hears from r' mod 2
        final InstanceWiring widening = new InstanceWiring(0, List.of(2, 5), hosts(7));
        assertEquals(List.of(2, 4, 6), widening.handoffTargets(0));
        assertEquals(List.of(3, 5), widening.handoffTargets(1));
        for (int p = 2; p < 7; p++) {
            assertEquals((p - 2) % 2, widening.handoffSource(p));
        }
    }

    @Test
    void shouldRoundTripThroughJacksonCborAsItsThreeFieldsOnly() throws Exception {
        final ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        final InstanceWiring w = new InstanceWiring(12, List.of(2, 1), hosts(3));
        final byte[] bytes = cbor.writeValueAsBytes(w);
        assertEquals(w, cbor.readValue(bytes, InstanceWiring.class));
        final Set<String> fields = new HashSet<>();
        cbor.readTree(bytes).fieldNames().forEachRemaining(fields::add);
        assertEquals(Set.of("instance", "stageSizes", "addresses"), fields, "derived methods must not serialize");
    }

    @Test
    void shouldRefuseInconsistentWiring() {
        assertThrows(IllegalArgumentException.class, () -> new InstanceWiring(0, List.of(), hosts(0)));
        assertThrows(IllegalArgumentException.class, () -> new InstanceWiring(0, List.of(2, 0), hosts(2)));
        assertThrows(IllegalArgumentException.class, () -> new InstanceWiring(0, List.of(2, 2), hosts(3)));
        assertThrows(IllegalArgumentException.class, () -> new InstanceWiring(-1, List.of(1), hosts(1)));
        assertThrows(IllegalArgumentException.class, () -> new InstanceWiring(0, List.of(65), hosts(65)));
        assertThrows(IllegalArgumentException.class, () -> new DataAddress(" ", 1));
        assertThrows(IllegalArgumentException.class, () -> new DataAddress("h", 0));
    }
}
