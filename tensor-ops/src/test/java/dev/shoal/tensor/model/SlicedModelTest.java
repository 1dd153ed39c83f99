package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One model run as tensor slices, pipeline stages and both, against the whole model in one piece. */
class SlicedModelTest {

    private static final int STEPS = 48;
    /** Largest logit difference allowed, relative to the step's largest logit magnitude (see assertSameDecisions). */
    private static final float LOGIT_TOLERANCE = 0.03f;

    @ParameterizedTest(name = "{0}: {1} stage(s) × {2} tensor rank(s)")
    @CsvSource({
        "stories260K.gguf, 1, 2",
        "stories260K.gguf, 2, 1",
        "stories260K.gguf, 2, 2",
        "stories260K.gguf, 5, 1",
        "quant-vectors/quant-pure-Q8_0.gguf, 1, 2",
        "quant-vectors/quant-pure-Q4_K.gguf, 2, 1",
        "quant-vectors/quant-pure-Q5_0.gguf, 2, 2",
    })
    void shouldGiveTheWholeModelsGreedyTokens(String file, int stages, int ranks) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require(file));
             WorkerPool pool = new WorkerPool(1);
             SlicedRunner sliced = new SlicedRunner(f, stages, ranks, STEPS + 8)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceModel whole = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, STEPS + 8);
            KvCache cache = whole.newCache(STEPS + 8);
            int[] prompt = {1, 403, 407, 261, 378};
            Greedy.Trace expected = Greedy.trace((t, p) -> whole.forward(t, p, cache, true), prompt, STEPS);
            if (ranks > 1) {
                assertNotEquals(sliced.slice(0, 0).kvHeadEnd(), c.kvHeads(), "rank 0 must hold only part of the heads");
            }
            assertSameDecisions(expected, Greedy.replay(sliced::forward, prompt, expected.tokens()));
        }
    }

    /**
     * Split partial sums add up in another order than the whole model's, so activations differ in their last bits;
     * where one sits on a rounding edge of the activation quantizer (Q8_0 blocks, as llama.cpp quantizes matmul
     * inputs) its level moves by one, and the logits move by up to ~1 % of their magnitude (Q5_0 over 1 stage × 2
     * ranks: 1.3 %; with float activations 7e-7). A near tie can then go either way (it did: Q5_0 2 × 2 on 256-bit
     * vectors chose another token at step 37 and went on from there). So the sliced model is fed the whole
     * model's tokens (teacher forcing) and must give, at every step, logits within that of the whole model's, and
     * the same choice wherever the whole model's margin exceeds twice the step's difference. A partial sum lost or
     * added twice moves logits by their own order of magnitude.
     */
    static void assertSameDecisions(Greedy.Trace expected, Greedy.Trace got) {
        for (int i = 0; i < expected.tokens().size(); i++) {
            float[] w = expected.logits().get(i);
            float[] s = got.logits().get(i);
            float scale = 0f;
            float diff = 0f;
            for (int v = 0; v < w.length; v++) {
                scale = Math.max(scale, Math.abs(w[v]));
                diff = Math.max(diff, Math.abs(w[v] - s[v]));
            }
            assertTrue(diff <= LOGIT_TOLERANCE * scale, "step " + i + ": logits differ by " + diff
                    + ", more than " + LOGIT_TOLERANCE + " of their largest magnitude " + scale);
            if (expected.margin(i) > 2 * diff) {
                assertEquals(expected.tokens().get(i), got.tokens().get(i), "step " + i + "'s greedy token");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void weightsFromAFileAndFromACompactedSliceShouldReachTheKernelsAsOneSegmentClass() throws Exception {
        // two segment classes at the kernels' loads make every access bimorphic: a JVM that had run a whole
        // (mapped) model and a compacted slice decoded both at half speed (SliceSpeedCheck)
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"));
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            ModelConfig c = ModelConfig.fromGguf(f);
            Matrix mapped = SliceWeights.load(f, c, Slice.whole(c)).output();
            Matrix compacted = SliceWeights.load(f, c, Slice.whole(c).tensorPart(1, 2, 32)).compact(arena).output();
            assertEquals(mapped.data().getClass(), compacted.data().getClass());
            org.junit.jupiter.api.Assertions.assertTrue(mapped.data().isReadOnly(), "the file's mapping is read-only");
        }
    }

    @org.junit.jupiter.api.Test
    void aTensorSplitOffQuantBlockEdgesShouldBeRefusedNamingTheTensor() throws Exception {
        // Q4_K blocks are 256 wide; 2 ranks of this model get 128 attention-output columns each
        try (GgufFile f = GgufFile.open(SharedModels.require("quant-vectors/quant-pure-Q4_K.gguf"))) {
            ModelConfig c = ModelConfig.fromGguf(f);
            Slice half = Slice.whole(c).tensorPart(0, 2, 256);
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> SliceWeights.load(f, c, half));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("attn_output.weight")
                    && e.getMessage().contains("256-element block"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void tensorPartsShouldCoverTheModelOnBlockEdges() {
        Slice whole = new Slice(0, 16, 0, 8, 0, 8192, 0, 128256);
        Slice a = whole.tensorPart(0, 3, 256);
        Slice b = whole.tensorPart(1, 3, 256);
        Slice d = whole.tensorPart(2, 3, 256);
        assertArrayEquals(new int[] {0, a.kvHeadEnd(), b.kvHeadEnd(), 8},
                new int[] {a.kvHeadStart(), b.kvHeadStart(), d.kvHeadStart(), d.kvHeadEnd()});
        assertEquals(0, b.ffnStart() % 256);
        assertEquals(0, d.ffnStart() % 256);
        assertEquals(8192, d.ffnEnd());
        assertEquals(128256, d.vocabEnd());
        assertEquals(a.vocabEnd(), b.vocabStart());
    }
}
