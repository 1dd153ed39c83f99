package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Synthetic models of every supported type and architecture load and generate; the Vector API kernels give the
 * same greedy tokens as the scalar references over a whole model on float32 activations, and on activations
 * quantized as llama.cpp does the same choice at every step but near-ties; and each quantized model's logits stay close to the F32 model written from the
 * same random draws, by an amount the type's precision explains.
 */
class SyntheticModelsTest {

    @TempDir
    static Path dir;

    private static final int[] PROMPT = {1, 300, 301, 302, 303, 304};
    private static final int STEPS = 12;

    /**
     * Relative squared logit error allowed against the F32 model: 2.5× what llama.cpp's own quantizer gives on its
     * quant-vectors model ((rms / logit std)² from table A of shared/models/quant-vectors/README.md). F32 against
     * itself differs only by the order of float additions (vector reductions before and after JIT compilation).
     */
    private static final Map<GgmlType, Double> NMSE_BOUND = Map.ofEntries(
            Map.entry(GgmlType.F32, 1e-10), Map.entry(GgmlType.F16, 1e-5), Map.entry(GgmlType.BF16, 1e-3),
            Map.entry(GgmlType.Q8_0, 3e-3), Map.entry(GgmlType.Q6_K, 0.035), Map.entry(GgmlType.Q5_K, 0.06),
            Map.entry(GgmlType.Q5_1, 0.12), Map.entry(GgmlType.Q5_0, 0.17), Map.entry(GgmlType.Q4_K, 0.26),
            Map.entry(GgmlType.Q4_1, 0.29), Map.entry(GgmlType.Q4_0, 0.31));

    static Path model(String shape, GgmlType type) throws Exception {
        Path p = dir.resolve(shape + "-" + type + ".gguf");
        if (!p.toFile().exists()) {
            // std 0.08 keeps logits well spread on this small shape, so greedy ties are rare
            new SyntheticModelWriter(SyntheticShape.named(shape), type, 7, 0.08f, null).write(p);
        }
        return p;
    }

    /**
     * Vector vs scalar logits NMSE allowed with quantized activations. Both compute the same integer block sums
     * and differ only in float rounding of the scale steps (~1e-7), but an activation that lands that close to a
     * rounding edge of the next layer's quantizer moves by a whole level (about 1% of its block's largest
     * value), so a few such flips over a model show up as NMSE of ~1e-4 (measured up to 8e-4); float32
     * activations have no such steps and stay below 1e-8.
     */
    private static final double QUANTIZED_VECTOR_VS_SCALAR_NMSE = 5e-3;

    static float[] logits(Path file, boolean scalar, List<Integer> greedyOut) throws Exception {
        return logits(file, scalar, greedyOut, ActivationMode.QUANTIZED);
    }

    static float[] logits(Path file, boolean scalar, List<Integer> greedyOut, ActivationMode mode) throws Exception {
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceWeights w = SliceWeights.load(f, c, Slice.whole(c));
            if (scalar) {
                w = w.mapMatrices(m -> m.withKernel(new ScalarKernel(m.kernel())));
            }
            SliceModel m = SliceModel.whole(w, pool, 64, 1, mode);
            KvCache cache = m.newCache(64);
            float[] last = null;
            for (int p = 0; p < PROMPT.length; p++) {
                last = m.forward(PROMPT[p], p, cache, true).clone();
            }
            KvCache fresh = m.newCache(64);
            greedyOut.addAll(Greedy.run((t, p) -> m.forward(t, p, fresh, true), PROMPT, STEPS));
            return last;
        }
    }

    /**
     * The vector kernels choose the scalar reference's greedy token at every step of the reference's sequence (fed to
     * both, so one different choice does not hide the steps after it) — or, at a near-tie, a token whose reference
     * logit is within the two runs' largest logit difference at that step of the reference's choice. Quantized
     * activations make such differences up to ~1e-4 NMSE (see {@link #QUANTIZED_VECTOR_VS_SCALAR_NMSE}); which of two
     * tokens that close wins depends on the vector width (the tiny Q8_0 model flips one at 256 and 128 bits).
     */
    private static void assertSameChoicesButNearTies(Path file, List<Integer> reference) throws Exception {
        List<float[]> fast = forcedLogits(file, false, reference);
        List<float[]> ref = forcedLogits(file, true, reference);
        for (int t = 0; t < reference.size(); t++) {
            float[] f = fast.get(t);
            float[] r = ref.get(t);
            int want = reference.get(t);
            assertEquals(want, Greedy.argmax(r), "the reference's own choice at step " + t);
            // the runs' difference itself stays at the size quantized activations explain, at every step
            assertTrue(nmse(f, r) < QUANTIZED_VECTOR_VS_SCALAR_NMSE, "step " + t + ": vector vs scalar logits NMSE "
                    + nmse(f, r));
            int got = Greedy.argmax(f);
            if (got != want) {
                double err = 0;
                for (int i = 0; i < r.length; i++) {
                    err = Math.max(err, Math.abs(f[i] - r[i]));
                }
                double gap = r[want] - r[got];
                assertTrue(gap <= 2 * err, "step " + t + ": vector kernels chose " + got + " over " + want
                        + ", whose reference logit is " + gap + " higher — beyond the runs' logit difference " + err);
            }
        }
    }

    /** Logits after the prompt and after each of {@code tokens} but the last, with quantized activations. */
    private static List<float[]> forcedLogits(Path file, boolean scalar, List<Integer> tokens) throws Exception {
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceWeights w = SliceWeights.load(f, c, Slice.whole(c));
            if (scalar) {
                w = w.mapMatrices(m -> m.withKernel(new ScalarKernel(m.kernel())));
            }
            SliceModel m = SliceModel.whole(w, pool, 64, 1, ActivationMode.QUANTIZED);
            KvCache cache = m.newCache(64);
            List<float[]> out = new java.util.ArrayList<>();
            int pos = 0;
            float[] logits = null;
            for (int t : PROMPT) {
                logits = m.forward(t, pos++, cache, true);
            }
            out.add(logits.clone());
            for (int i = 0; i + 1 < tokens.size(); i++) {
                out.add(m.forward(tokens.get(i), pos++, cache, true).clone());
            }
            return out;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "tiny, F32", "tiny, F16", "tiny, BF16", "tiny, Q8_0", "tiny, Q4_0", "tiny, Q4_1", "tiny, Q5_0", "tiny, Q5_1",
        "tiny, Q4_K", "tiny, Q5_K", "tiny, Q6_K", "tiny-qwen2, Q8_0", "tiny-qwen3, Q4_K"})
    void shouldGenerateWithVectorKernelsAsWithScalarReferences(String shape, GgmlType type) throws Exception {
        Path file = model(shape, type);
        // float32 activations: the vector kernels against dotScalar
        List<Integer> fastF32 = new java.util.ArrayList<>();
        List<Integer> referenceF32 = new java.util.ArrayList<>();
        float[] af = logits(file, false, fastF32, ActivationMode.F32);
        float[] bf = logits(file, true, referenceF32, ActivationMode.F32);
        assertEquals(STEPS, fastF32.size());
        assertEquals(referenceF32, fastF32, "greedy ids, vector vs scalar kernels, f32 activations");
        assertTrue(nmse(af, bf) < 1e-8, "vector vs scalar logits NMSE, f32 activations " + nmse(af, bf));
        // quantized activations (the default): dotQuantized against dotQuantizedScalar
        List<Integer> fast = new java.util.ArrayList<>();
        List<Integer> reference = new java.util.ArrayList<>();
        float[] a = logits(file, false, fast);
        float[] b = logits(file, true, reference);
        assertEquals(STEPS, fast.size());
        assertSameChoicesButNearTies(file, reference);
        assertTrue(nmse(a, b) < QUANTIZED_VECTOR_VS_SCALAR_NMSE, "vector vs scalar logits NMSE " + nmse(a, b));

        float[] f32 = logits(model(shape, GgmlType.F32), false, new java.util.ArrayList<>());
        double e = nmse(a, f32);
        assertTrue(e <= NMSE_BOUND.get(type), type + " logits vs F32 NMSE " + e + " > " + NMSE_BOUND.get(type));
        if (type != GgmlType.F32) {
            assertTrue(e > 0, "a quantized model cannot match F32 exactly");
        }
    }

    @Test
    void theRealLlama2VocabularyModelShouldLoadAndGenerate() throws Exception {
        Path file = SharedModels.require("llama-2-tiny-random.gguf");
        List<Integer> fast = new java.util.ArrayList<>();
        List<Integer> reference = new java.util.ArrayList<>();
        logits(file, false, fast);
        logits(file, true, reference);
        assertEquals(STEPS, fast.size());
        assertEquals(reference, fast);
        assertTrue(fast.stream().allMatch(id -> id >= 0 && id < 32000));
    }

    static double nmse(float[] a, float[] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (a[i] - (double) ref[i]) * (a[i] - (double) ref[i]);
            den += (double) ref[i] * ref[i];
        }
        return num / den;
    }
}
