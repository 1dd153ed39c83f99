package dev.shoal.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticShape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random fleets, seeded: whatever the planner answers must be a sound plan or a rejection, the same whatever order
 * the nodes and links arrive in, and of the shape the mode asked for.
 */
class PlacementPropertyTest {

    private static final int CASES = 1500;

    private static final List<ModelShape> MODELS = List.of(
            Fixtures.llama1b(GgmlType.Q4_K), Fixtures.llama1b(GgmlType.F16),
            Fixtures.llama8b(GgmlType.Q4_K), Fixtures.llama8b(GgmlType.Q8_0), Fixtures.llama8b(GgmlType.F16),
            Fixtures.llama70b(GgmlType.Q4_K), Fixtures.llama70b(GgmlType.Q8_0),
            Fixtures.tiny(GgmlType.Q4_K), Fixtures.tiny(GgmlType.Q8_0),
            ModelShape.synthetic(SyntheticShape.named("qwen2.5-1.5b"), GgmlType.Q8_0),
            ModelShape.synthetic(SyntheticShape.named("qwen3-8b"), GgmlType.Q6_K),
            ModelShape.synthetic(SyntheticShape.named("mistral-7b"), GgmlType.Q5_0));

    private static final List<Link> LINKS = List.of(Fixtures.THUNDERBOLT, Fixtures.GIGABIT, Fixtures.WIFI);

    private record Case(ModelShape model, List<NodeCapability> nodes, LinkMatrix links, PlacementRequest request,
                        PlannerSettings settings) {
    }

    private static Case randomCase(Random rnd) {
        ModelShape model = MODELS.get(rnd.nextInt(MODELS.size()));
        PlannerSettings settings = PlannerSettings.DEFAULTS
                .withOverheadBytes(List.of(0L, 64L << 20, 256L << 20).get(rnd.nextInt(3)));
        int context = Math.min(model.context(), List.of(512, 2048, 8192).get(rnd.nextInt(3)));
        PlacementRequest request = PlacementRequest.of(PlacementMode.values()[rnd.nextInt(5)], context,
                1 + rnd.nextInt(4));
        // budgets relative to a whole copy, so every model sees every regime: fits anywhere, some, only split, never
        long whole = RankMemory.of(model, model.wholeSlice(), context, request.maxBatch(), settings.overheadBytes())
                .total();
        int n = 1 + rnd.nextInt(5);
        List<NodeCapability> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long budget = (long) (whole * (0.1 + 1.3 * rnd.nextDouble()));
            long used = rnd.nextInt(4) == 0 ? (long) (budget * 0.3 * rnd.nextDouble()) : 0;
            Set<String> files = rnd.nextBoolean() ? Set.of(model.name()) : Set.of();
            nodes.add(new NodeCapability(NodeId.of("n" + i), budget, used, 1 + rnd.nextInt(16), files));
        }
        LinkMatrix links = LinkMatrix.empty();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int pick = rnd.nextInt(LINKS.size() + 1);
                if (pick < LINKS.size()) {
                    links = links.with(nodes.get(i).node(), nodes.get(j).node(), LINKS.get(pick));
                }
            }
        }
        return new Case(model, nodes, links, request, settings);
    }

    /** The same fleet, nodes in another order and links measured in another order. */
    private static Case shuffled(Case c, Random rnd) {
        List<NodeCapability> nodes = new ArrayList<>(c.nodes());
        Collections.shuffle(nodes, rnd);
        List<NodeCapability> pairsFrom = new ArrayList<>(nodes);
        Collections.shuffle(pairsFrom, rnd);
        LinkMatrix links = LinkMatrix.empty();
        for (NodeCapability a : pairsFrom) {
            for (NodeCapability b : pairsFrom) {
                if (a.node().compareTo(b.node()) < 0) {
                    var link = c.links().between(b.node(), a.node());
                    if (link.isPresent()) {
                        links = links.with(b.node(), a.node(), link.get());
                    }
                }
            }
        }
        assertEquals(c.links(), links);
        return new Case(c.model(), nodes, links, c.request(), c.settings());
    }

    private static Placement plan(Case c) {
        return new Planner(c.settings()).plan(c.model(), c.nodes(), c.links(), c.request());
    }

    private static Placement plan(Case c, PlacementMode mode) {
        PlacementRequest r = PlacementRequest.of(mode, c.request().contextLength(), c.request().maxBatch());
        return new Planner(c.settings()).plan(c.model(), c.nodes(), c.links(), r);
    }

    @Test
    void shouldOnlyEverAnswerASoundPlanOrAnExplainedRejection() {
        Random rnd = new Random(20_261_125L);
        Map<PlacementMode, int[]> outcomes = new EnumMap<>(PlacementMode.class);
        for (PlacementMode m : PlacementMode.values()) {
            outcomes.put(m, new int[5]); // replicas, pipeline, tensor, hybrid, rejection
        }
        for (int i = 0; i < CASES; i++) {
            Case c = randomCase(rnd);
            Placement p = plan(c);
            String where = "case " + i + ": " + c;
            assertEquals(p, plan(shuffled(c, rnd)), "same fleet in another order, " + where);
            int kind = switch (p) {
                case Placement.Replicas _ -> 0;
                case Placement.Pipeline _ -> 1;
                case Placement.Tensor _ -> 2;
                case Placement.Hybrid _ -> 3;
                case Placement.Rejection _ -> 4;
            };
            outcomes.get(c.request().mode())[kind]++;
            switch (p) {
                case Placement.Plan plan -> {
                    PlanInvariants.check(c.model(), c.nodes(), c.request(), c.settings(), plan);
                    checkShape(c, plan);
                }
                case Placement.Rejection r -> {
                    assertTrue(!r.reason().isBlank(), where);
                    if (c.request().mode() == PlacementMode.AUTO) {
                        // AUTO gives up only when the plainest plans do too
                        assertInstanceOf(Placement.Rejection.class, plan(c, PlacementMode.REPLICAS), where);
                        assertInstanceOf(Placement.Rejection.class, plan(c, PlacementMode.PIPELINE), where);
                    }
                }
            }
        }
        // the random fleets reach every outcome of every mode that has it
        int[] auto = outcomes.get(PlacementMode.AUTO);
        for (int kind = 0; kind < 5; kind++) {
            assertTrue(auto[kind] > 0, "AUTO never gave outcome " + kind + ": " + java.util.Arrays.toString(auto));
        }
        assertTrue(outcomes.get(PlacementMode.PIPELINE)[1] > 50);
        assertTrue(outcomes.get(PlacementMode.TENSOR)[2] > 50);
        assertTrue(outcomes.get(PlacementMode.HYBRID)[3] > 50);
        assertTrue(outcomes.get(PlacementMode.REPLICAS)[0] > 50);
    }

    /**
     * The explicit modes answer with their own shape over every node; replicas take every node that has the file and
     * fits.
     */
    private static void checkShape(Case c, Placement.Plan plan) {
        int n = c.nodes().size();
        switch (c.request().mode()) {
            case AUTO -> {
                if (!(plan instanceof Placement.Replicas)) {
                    // split plans come only when no single node holds the model
                    assertInstanceOf(Placement.Rejection.class, plan(c, PlacementMode.REPLICAS));
                }
            }
            case REPLICAS -> {
                Placement.Replicas r = assertInstanceOf(Placement.Replicas.class, plan);
                long fit = c.nodes().stream().filter(x -> x.hasModelFile(c.model().name()))
                        .filter(x -> x.freeBytes() >= r.memory().total()).count();
                assertEquals(fit, r.nodes().size());
            }
            case PIPELINE -> assertEquals(n, assertInstanceOf(Placement.Pipeline.class, plan).stages().size());
            case TENSOR -> assertEquals(n, assertInstanceOf(Placement.Tensor.class, plan).ranks().size());
            case HYBRID -> assertEquals(n, assertInstanceOf(Placement.Hybrid.class, plan).assignments().size());
        }
    }
}
