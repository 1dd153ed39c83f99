package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.RowGroups;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LocalModel}'s background repack of Q4_0 weights: it serves straight away, then (after
 * {@link LocalModel#awaitRepacked}) every Q4_0 matrix is interleaved, with the tied output and the embedding one
 * copy, and the repacked model decodes the same greedy tokens as the plain layout with logits as close as two
 * kernel orders can be (the vector-vs-scalar bound of {@code SyntheticModelsTest}). A model of another type has
 * nothing to repack.
 */
class LocalModelRepackTest {

    @TempDir
    static Path dir;

    private static final int[] PROMPT = {1, 300, 301, 302, 303};
    private static final int STEPS = 10;

    @Test
    void q4_0WeightsShouldBeRepackedInTheBackgroundAndDecodeAsThePlainOnes() throws Exception {
        Path file = dir.resolve("tiny-Q4_0.gguf");
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q4_0, 7, 0.08f, null).write(file);
        List<Integer> plainTokens = new ArrayList<>();
        float[] plainLogits;
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            plainLogits = decode(SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, 64), plainTokens);
        }
        try (LocalModel lm = LocalModel.open(file, 2, 64)) {
            // it serves before the repack is over (or after: either way the same tokens)
            List<Integer> early = new ArrayList<>();
            decode(lm.model(), early);
            assertEquals(plainTokens, early, "greedy tokens while repacking");
            assertTrue(lm.awaitRepacked() >= 0);
            SliceWeights w = lm.model().weights();
            for (Matrix m : w.matrices()) {
                assertEquals(RowGroups.supported(), m.interleaved(), m.name() + " interleaved");
            }
            // repacked, the tied output is the embedding's one copy (on 512-bit vectors both stay on the mapping)
            assertTrue(!RowGroups.supported() || w.output() == w.tokenEmbedding(),
                    "the tied output is the embedding's one copy");
            List<Integer> tokens = new ArrayList<>();
            float[] logits = decode(lm.model(), tokens);
            assertEquals(plainTokens, tokens, "greedy tokens after the repack");
            double num = 0;
            double den = 0;
            for (int i = 0; i < logits.length; i++) {
                num += (logits[i] - (double) plainLogits[i]) * (logits[i] - (double) plainLogits[i]);
                den += (double) plainLogits[i] * plainLogits[i];
            }
            assertTrue(num / den < 5e-3, "repacked vs plain logits NMSE " + num / den);
        }
    }

    @Test
    void otherTypesShouldHaveNothingToRepack() throws Exception {
        Path file = dir.resolve("tiny-Q8_0.gguf");
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 7, 0.08f, null).write(file);
        try (LocalModel lm = LocalModel.open(file, 1, 64)) {
            assertEquals(0.0, lm.awaitRepacked());
            assertTrue(lm.model().weights().matrices().stream().noneMatch(Matrix::interleaved));
        }
    }

    /** Prompt, then greedy steps; the last step's logits (a copy). */
    private static float[] decode(SliceModel m, List<Integer> out) {
        KvCache cache = m.newCache(64);
        float[] logits = null;
        for (int p = 0; p < PROMPT.length; p++) {
            logits = m.forward(PROMPT[p], p, cache, true);
        }
        for (int s = 0; s < STEPS; s++) {
            int next = Greedy.argmax(logits);
            out.add(next);
            logits = m.forward(next, PROMPT.length + s, cache, true);
        }
        return logits.clone();
    }
}
