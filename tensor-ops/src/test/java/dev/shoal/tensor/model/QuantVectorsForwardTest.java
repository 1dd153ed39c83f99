package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.quant.UnsupportedTensorTypeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32-activation forward pass ({@link ActivationMode#F32}) on every supported tensor type against exact
 * math on llama.cpp's own quantized files (shared/models/quant-vectors): logits within 1e-3 of
 * {@code logits-exact.f32} and the exact greedy ids, as that folder's README recommends for an engine that keeps
 * activations in float32. The default, quantized path is held to llama.cpp's own logits by
 * {@link QuantVectorsLlamaCppTest}.
 */
class QuantVectorsForwardTest {

    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    @ParameterizedTest
    @ValueSource(strings = {"quant-base-f32", "quant-pure-F16", "quant-pure-BF16", "quant-pure-Q8_0", "quant-pure-Q4_0",
        "quant-pure-Q4_1", "quant-pure-Q5_0", "quant-pure-Q5_1", "quant-pure-Q4_K", "quant-pure-Q5_K", "quant-pure-Q6_K"})
    void shouldMatchExactLogitsAndGreedyIds(String name) throws Exception {
        Path dir = SharedModels.require("quant-vectors/" + name + ".gguf").getParent();
        float[] expected = floats(dir.resolve(name + ".logits-exact.f32"));
        List<Integer> greedy = Arrays.stream(Files.readString(dir.resolve(name + ".greedy-exact.txt")).trim().split("\\s+"))
                .map(Integer::valueOf).toList();
        try (GgufFile f = GgufFile.open(dir.resolve(name + ".gguf")); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceModel m = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, 64, 1, ActivationMode.F32);
            KvCache cache = m.newCache(64);
            float[] logits = null;
            for (int p = 0; p < PROMPT.length; p++) {
                logits = m.forward(PROMPT[p], p, cache, true);
            }
            double maxAbs = 0;
            for (int i = 0; i < expected.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(logits[i] - expected[i]));
            }
            assertTrue(maxAbs <= 1e-3, name + ": max abs logit difference " + maxAbs + " > 1e-3");
            KvCache fresh = m.newCache(64);
            assertEquals(greedy, Greedy.run((t, p) -> m.forward(t, p, fresh, true), PROMPT, greedy.size()), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"quant-pure-Q2_K", "quant-pure-Q3_K"})
    void shouldRefuseUnsupportedTypesNamingTheTensor(String name) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("quant-vectors/" + name + ".gguf"))) {
            ModelConfig c = ModelConfig.fromGguf(f);
            var e = assertThrows(UnsupportedTensorTypeException.class, () -> SliceWeights.load(f, c, Slice.whole(c)));
            String type = name.substring(name.lastIndexOf('-') + 1);
            assertTrue(e.getMessage().contains("has type " + type) && e.getMessage().contains(".weight'"), e.getMessage());
        }
    }

    static float[] floats(Path p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
