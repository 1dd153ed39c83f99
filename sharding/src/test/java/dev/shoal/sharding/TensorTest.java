package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.ids;
import static dev.shoal.sharding.Fixtures.llama1b;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static dev.shoal.sharding.Fixtures.macs;
import static dev.shoal.sharding.Fixtures.plan;
import static dev.shoal.sharding.Fixtures.request;
import static dev.shoal.sharding.Fixtures.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shoal.sharding.Placement.Rejection.Cause;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.model.Architecture;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticShape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TensorTest {

    private static Placement.Tensor tensor(ModelShape m, List<NodeCapability> nodes) {
        Placement p = plan(m, nodes, LinkMatrix.empty(), PlacementMode.TENSOR);
        Placement.Tensor t = assertInstanceOf(Placement.Tensor.class, p, () -> p.toString());
        PlanInvariants.check(m, nodes, request(m, PlacementMode.TENSOR), PlannerSettings.DEFAULTS, t);
        return t;
    }

    private static Placement.Rejection rejected(ModelShape m, int ranks) {
        double[] gib = new double[ranks];
        java.util.Arrays.fill(gib, 64);
        Placement p = plan(m, macs(gib), LinkMatrix.empty(), PlacementMode.TENSOR);
        return assertInstanceOf(Placement.Rejection.class, p);
    }

    @Test
    void shouldSplitHeadsFfnAndVocabularyEvenlyOverFourRanks() {
        ModelShape m = llama8b(GgmlType.Q4_K);
        Placement.Tensor t = tensor(m, macs(16, 16, 16, 16));
        assertEquals(ids("mac-a", "mac-b", "mac-c", "mac-d"), t.nodes());
        for (int r = 0; r < 4; r++) {
            Slice s = t.ranks().get(r).slice();
            assertEquals(new Slice(0, 32, 2 * r, 2 * r + 2, 3584 * r, 3584 * (r + 1), 32064 * r, 32064 * (r + 1)), s);
            assertEquals(m.wholeSlice().tensorPart(r, 4, 256), s);
        }
    }

    @Test
    void shouldGiveUnevenRanksWholeKvHeadGroups() {
        // 8 KV heads over 3 ranks: 2, 3, 3; attn_output columns start at 2×4×128 = 1024 and 5×4×128 = 2560
        Placement.Tensor t = tensor(llama8b(GgmlType.Q4_K), macs(16, 16, 16));
        assertEquals(List.of(2, 3, 3), t.ranks().stream().map(r -> r.slice().kvHeadCount()).toList());
        assertEquals(List.of(0, 2, 5), t.ranks().stream().map(r -> r.slice().kvHeadStart()).toList());
    }

    @Test
    void shouldGiveTheSmallerPartOfAnUnevenSplitToTheSmallerNode() {
        // parts of 2, 3, 3 KV heads: the 8 GiB Mac takes the 2-head part, listed first as rank 0 holds heads 0..2
        Placement.Tensor t = tensor(llama8b(GgmlType.Q4_K), macs(64, 16, 8));
        assertEquals(ids("mac-c", "mac-a", "mac-b"), t.nodes());
        assertEquals(2, t.ranks().getFirst().slice().kvHeadCount());
    }

    @Test
    void shouldSplitThe1bOverEightRanksOneKvHeadEach() {
        // one KV head of Llama 3.2 1B is 4 query heads × 64 = 256 attn_output columns, one Q4_K block
        Placement.Tensor t = tensor(llama1b(GgmlType.Q4_K), macs(4, 4, 4, 4, 4, 4, 4, 4));
        assertEquals(8, t.ranks().size());
    }

    static Stream<Arguments> divisibilityFailures() {
        return Stream.of(
                Arguments.of(tiny(GgmlType.Q4_K), 2, "Q4_K blocks are 256 wide; 2 ranks would split attn_output at"
                        + " column 128"),
                Arguments.of(tiny(GgmlType.Q6_K), 2, "Q6_K blocks are 256 wide; 2 ranks would split attn_output at"
                        + " column 128"),
                Arguments.of(tiny(GgmlType.Q8_0), 3, "tiny has 2 KV heads; 3 ranks would leave a rank without one"),
                Arguments.of(llama8b(GgmlType.Q4_K), 9, "llama-3.1-8b has 8 KV heads; 9 ranks would leave a rank"
                        + " without one"),
                Arguments.of(ModelShape.synthetic(new SyntheticShape("narrow-ffn", Architecture.LLAMA, 256, 2, 8, 8,
                                32, 512, 512, 512, 10000f, 0, true), GgmlType.Q4_K), 4,
                        "Q4_K blocks are 256 wide; ffn_down's 512 columns make 2 blocks, too few for 4 ranks"),
                // 32 query heads over 8 KV heads of 32: a KV-head group is 128 columns; 2+3+3 groups cut at 640
                Arguments.of(ModelShape.synthetic(new SyntheticShape("narrow-heads", Architecture.LLAMA, 1024, 2,
                        32, 8, 32, 2048, 1024, 512, 10000f, 0, true), GgmlType.Q4_K), 3,
                        "Q4_K blocks are 256 wide; 3 ranks would split attn_output at column 640"));
    }

    @ParameterizedTest
    @MethodSource("divisibilityFailures")
    void shouldRejectASplitThatDoesNotDivideWithTheReason(ModelShape m, int ranks, String reason) {
        Placement.Rejection r = rejected(m, ranks);
        assertEquals(reason, r.reason());
        assertEquals(Cause.DIVISIBILITY, r.cause());
    }

    @Test
    void shouldAcceptTheSameTinyModelInQ8_0() {
        ModelShape m = tiny(GgmlType.Q8_0);
        Placement.Tensor t = tensor(m, macs(1, 1));
        assertEquals(new Slice(0, 2, 0, 1, 0, 384, 0, 256), t.ranks().get(0).slice());
        assertEquals(new Slice(0, 2, 1, 2, 384, 768, 256, 512), t.ranks().get(1).slice());
    }

    @Test
    void shouldRejectTheRealQ4KFileSplitInTwo() throws IOException {
        try (GgufFile file = GgufFile.open(SharedModels.require("quant-vectors/quant-pure-Q4_K.gguf"))) {
            Placement p = plan(ModelShape.of(file), macs(1, 1), LinkMatrix.empty(), PlacementMode.TENSOR);
            assertEquals(new Placement.Rejection("Q4_K blocks are 256 wide; 2 ranks would split attn_output at column"
                    + " 128", Cause.DIVISIBILITY), p);
        }
    }

    @Test
    void shouldSplitTheRealQ8_0FileInTwo() throws IOException {
        try (GgufFile file = GgufFile.open(SharedModels.require("quant-vectors/quant-pure-Q8_0.gguf"))) {
            ModelShape m = ModelShape.of(file);
            Placement.Tensor t = tensor(m, macs(1, 1));
            assertEquals(2, t.ranks().size());
        }
    }

    @Test
    void shouldJudgeDivisibilityByTheWidestBlockOfAnyLayer() {
        // Q8_0 everywhere except one layer's attn_output in Q4_K (as mixed files do): that layer decides
        ModelShape q8 = tiny(GgmlType.Q8_0);
        List<LayerShape> layers = new ArrayList<>(q8.layerShapes());
        LayerShape l1 = layers.get(1);
        layers.set(1, new LayerShape(l1.attnQ(), l1.attnK(), l1.attnV(),
                new MatrixShape(GgmlType.Q4_K, l1.attnOutput().columns(), l1.attnOutput().rows()), l1.ffnGate(),
                l1.ffnUp(), l1.ffnDown(), l1.replicatedBytes()));
        ModelShape mixed = new ModelShape("mixed", q8.layers(), q8.dim(), q8.heads(), q8.kvHeads(), q8.headDim(),
                q8.ffnDim(), q8.vocab(), q8.context(), layers, q8.tokenEmbedding(), q8.output(), q8.tiedEmbeddings(),
                q8.outputNormBytes());
        assertEquals("Q4_K blocks are 256 wide; 2 ranks would split attn_output at column 128",
                rejected(mixed, 2).reason());
    }

    @Test
    void shouldRejectATensorSplitThatDoesNotFitWithExactFigures() {
        // each rank holds the whole embedding: 70B Q4_K over two 21.5 GiB Macs needs 21.51 GiB a rank
        Placement p = plan(llama70b(GgmlType.Q4_K), macs(21.5, 21.5), LinkMatrix.empty(), PlacementMode.TENSOR);
        Placement.Rejection r = assertInstanceOf(Placement.Rejection.class, p);
        assertEquals("no tensor split over the 2 nodes fits: the best split gives node mac-a layers 0..80, KV heads"
                + " 0..4, which needs 21.51 GiB (weights 18.76, KV cache 2.50, overhead 0.25), and it has 21.50 GiB"
                + " free", r.reason());
        assertEquals(Cause.MEMORY, r.cause());
    }

    @Test
    void shouldPlaceA70bOverFourSixteenGibMacs() {
        Placement.Tensor t = tensor(llama70b(GgmlType.Q4_K), macs(16, 16, 16, 16));
        assertEquals(4, t.ranks().size());
    }
}
