package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A tensor rank of every layer of a model with tied embeddings holds the whole embedding, so it keeps no cut copy
 * of its output rows: its output is that matrix, and its group shares the rows at run time
 * ({@link Collective#shareRowsToFirst}). Which rank makes a row must not change its bits, so the run-time split and
 * the even one give rank 0 the same logits bit for bit, step after step, and the same decisions as the whole model.
 * A last stage that does not start at layer 0 holds no embedding: it keeps its cut rows and gathers them.
 */
class SharedOutputRowsTest {

    @TempDir
    static Path dir;

    private static final int[] PROMPT = {1, 300, 301, 302, 303};
    private static final int STEPS = 12;

    @ParameterizedTest(name = "{0}, {1} stage(s) × 2 ranks")
    @CsvSource({"Q8_0, 1", "Q4_0, 1", "Q8_0, 2"})
    void runTimeAndEvenSplitsShouldGiveRankZeroTheSameLogitsBitForBit(GgmlType type, int stages) throws Exception {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        if (!file.toFile().exists()) {
            new SyntheticModelWriter(SyntheticShape.named("tiny"), type, 11, 0.08f, null).write(file);
        }
        try (GgufFile f = GgufFile.open(file);
             WorkerPool pool = new WorkerPool(1);
             SlicedRunner shared = new SlicedRunner(f, stages, 2, STEPS + 8, false);
             SlicedRunner even = new SlicedRunner(f, stages, 2, STEPS + 8, true)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            for (int r = 0; r < 2; r++) {
                SliceWeights w = shared.model(stages - 1, r).weights();
                if (stages == 1) {
                    assertSame(w.tokenEmbedding(), w.output(), "rank " + r + " reads its output from the embedding");
                    assertEquals(c.vocabSize(), w.output().rows());
                } else {
                    assertNotSame(w.tokenEmbedding(), w.output());
                    assertEquals(shared.slice(stages - 1, r).vocabCount(), w.output().rows(), "the cut rows");
                }
            }
            SliceModel whole = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, STEPS + 8);
            KvCache cache = whole.newCache(STEPS + 8);
            Greedy.Trace expected = Greedy.trace((t, p) -> whole.forward(t, p, cache, true), PROMPT, STEPS);
            Greedy.Trace a = Greedy.replay(shared::forward, PROMPT, expected.tokens());
            Greedy.Trace b = Greedy.replay(even::forward, PROMPT, expected.tokens());
            for (int i = 0; i < expected.tokens().size(); i++) {
                assertArrayEquals(bits(b.logits().get(i)), bits(a.logits().get(i)), "step " + i);
            }
            SlicedModelTest.assertSameDecisions(expected, a);
        }
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
