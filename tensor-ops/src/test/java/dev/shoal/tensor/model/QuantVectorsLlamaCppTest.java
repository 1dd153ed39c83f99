package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The default forward pass (activations quantized per matmul as llama.cpp quantizes them) against llama.cpp's own
 * logits on its own quantized files (shared/models/quant-vectors {@code NAME.logits.f32}), within that folder's
 * README tolerances, and against {@code NAME.greedy.txt}.
 *
 * <p>Measured at 128, 256 and 512 bits alike: F32/F16/BF16 (float activations), Q8_0, Q4_1, Q5_1 and the
 * K-quants follow llama.cpp's 16 greedy ids, and Q8_0, Q4_1, Q5_1 and the K-quants give its prompt logits to about
 * 1e-6 (the printed figure). Q4_0 agrees for 12 ids and Q5_0 for 15, with prompt logits 0.12 and 0.10 apart:
 * llama.cpp runs Q4_0 through its repacked Q4_0x8 kernels with their own 4-row activation quantizer, and the Q5_0
 * gap is not traced. The minimum prefixes below are those measurements.
 */
class QuantVectorsLlamaCppTest {

    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "quant-base-f32, 1e-4, 16", "quant-pure-F16, 1e-2, 16", "quant-pure-BF16, 5e-2, 16",
        "quant-pure-Q8_0, 0.25, 16", "quant-pure-Q4_0, 0.25, 12", "quant-pure-Q4_1, 0.25, 16",
        "quant-pure-Q5_0, 0.25, 15", "quant-pure-Q5_1, 0.25, 16",
        "quant-pure-Q4_K, 0.3, 16", "quant-pure-Q5_K, 0.3, 16", "quant-pure-Q6_K, 0.3, 16"})
    void shouldMatchLlamaCppLogitsAndGreedyIds(String name, double tolerance, int greedyPrefix) throws Exception {
        Path dir = SharedModels.require("quant-vectors/" + name + ".gguf").getParent();
        float[] expected = QuantVectorsForwardTest.floats(dir.resolve(name + ".logits.f32"));
        List<Integer> greedy = Arrays.stream(Files.readString(dir.resolve(name + ".greedy.txt")).trim().split("\\s+"))
                .map(Integer::valueOf).toList();
        try (GgufFile f = GgufFile.open(dir.resolve(name + ".gguf")); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceModel m = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, 64, 8, ActivationMode.QUANTIZED);
            // the prompt in one batch, as llama.cpp decoded it
            KvCache cache = m.newCache(64);
            int[] positions = {0, 1, 2, 3, 4};
            KvCache[] caches = new KvCache[5];
            Arrays.fill(caches, cache);
            boolean[] want = {false, false, false, false, true};
            m.forward(5, PROMPT, positions, caches, want);
            float[] logits = m.logits(4);
            double maxAbs = 0;
            for (int i = 0; i < expected.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(logits[i] - expected[i]));
            }
            System.out.printf("%s: max abs vs llama.cpp logits %.3g (tolerance %.3g)%n", name, maxAbs, tolerance);
            assertTrue(maxAbs <= tolerance, name + ": max abs logit difference " + maxAbs + " > " + tolerance);
            assertEquals(Greedy.argmax(expected), Greedy.argmax(logits), name + ": prompt argmax");
            KvCache fresh = m.newCache(64);
            List<Integer> ids = Greedy.run((t, p) -> m.forward(t, p, fresh, true), PROMPT, greedy.size());
            int same = 0;
            while (same < ids.size() && ids.get(same).equals(greedy.get(same))) {
                same++;
            }
            System.out.printf("%s: greedy prefix equal to llama.cpp's: %d/16%n", name, same);
            assertTrue(same >= greedyPrefix, name + ": greedy ids " + ids + " agree with llama.cpp's " + greedy
                    + " for " + same + " tokens, expected at least " + greedyPrefix);
        }
    }
}
