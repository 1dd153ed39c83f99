package dev.shoal.actors.cluster;

import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.Placement;
import dev.shoal.transport.step.DataAddress;
import dev.shoal.transport.step.InstanceWiring;
import java.util.Collections;
import java.util.List;

/** A plan's positions as the step plane's wiring: stage sizes from the plan's shape, addresses from the profiles. */
final class InstanceWirings {

    private InstanceWirings() {
    }

    /** @param positions each position's node, in the plan's assignment (stage-major) order */
    static InstanceWiring of(int number, Placement.Plan plan, List<NodeProfile> positions) {
        List<Integer> stageSizes = switch (plan) {
            case Placement.Replicas r -> List.of(1);
            case Placement.Tensor t -> List.of(t.ranks().size());
            case Placement.Pipeline p -> Collections.nCopies(p.stages().size(), 1);
            case Placement.Hybrid h -> h.stages().stream().map(List::size).toList();
        };
        return new InstanceWiring(number, stageSizes,
                positions.stream().map(n -> new DataAddress(n.dataHost(), n.dataPort(), n.dataDriver())).toList());
    }
}
