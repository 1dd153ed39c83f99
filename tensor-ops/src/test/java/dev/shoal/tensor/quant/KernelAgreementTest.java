package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shoal.tensor.NativeSegments;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Vector dot vs scalar dot vs dequantize-then-dot, at this JVM's vector width and (in child JVMs) the others. */
class KernelAgreementTest {

    static Stream<GgmlType> types() {
        return Stream.concat(Stream.of(GgmlType.F32), QuantFixtures.TYPES.stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldAgreeOnEveryRowOfTheReferenceTensors(GgmlType type) throws Exception {
        Path gguf = SharedModels.require("quant-vectors/" + QuantFixtures.fileName(type) + ".gguf");
        double nmse = AgreementChecks.realTensors(type, gguf);
        assertTrue(nmse <= AgreementChecks.MATVEC_NMSE_BOUND, "NMSE " + nmse);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldAgreeOnSyntheticRowsOfEveryLengthAndOffset(GgmlType type) {
        AgreementChecks.synthetic(type);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dotTypes")
    void shouldDecodeEveryWeightExactlyInTheVectorKernel(GgmlType type) {
        AgreementChecks.oneHot(type);
    }

    static Stream<GgmlType> dotTypes() {
        return QuantFixtures.TYPES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dotTypes")
    void shouldAgreeOnQuantizedActivationsOfEveryLengthAndOffset(GgmlType type) {
        AgreementChecks.quantized(type);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldDequantizeInVectorsBitForBit(GgmlType type) {
        AgreementChecks.dequantizeVector(type);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dotTypes")
    void shouldDecodeEveryWeightExactlyAgainstQuantizedActivations(GgmlType type) {
        AgreementChecks.quantizedOneHot(type);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F16", "BF16"})
    void shouldWidenAllHalfBitPatternsExactly(String type) {
        AgreementChecks.allHalfPatterns(GgmlType.valueOf(type));
    }

    @Test
    void shouldRejectADotThatGetsOneLevelWrong() throws Exception {
        // the per-dot tolerance is far below one level step of the coarsest format: Q4_K with one nibble off by one
        try (GgufFile f = GgufFile.open(SharedModels.require("quant-vectors/quant-pure-Q4_K.gguf"))) {
            QuantFixtures.Matrix m = QuantFixtures.Matrix.of(f, "blk.0.attn_q.weight");
            QuantKernel k = QuantFixtures.kernel(GgmlType.Q4_K);
            float[] x = QuantFixtures.gaussian(new SplittableRandom(3), m.rowLength(), 1.0);
            int caught = 0;
            for (int r = 0; r < m.rows(); r++) {
                MemorySegment row = NativeSegments.zeroed((int) m.rowBytes());
                MemorySegment.copy(m.data(), r * m.rowBytes(), row, 0, m.rowBytes());
                float right = k.dot(row, 0, x, 0, m.rowLength());
                int at = 16 + (r * 37) % 128;
                byte q = row.get(ValueLayout.JAVA_BYTE, at);
                row.set(ValueLayout.JAVA_BYTE, at, (byte) ((q & 0xF0) | (((q & 0xF) + 1) & 0xF)));
                float[] w = new float[m.rowLength()];
                k.dequantize(row, 0, w, 0, m.rowLength());
                double tol = AgreementChecks.tolerance(GgmlType.Q4_K, row, 0, w, x, 0, m.rowLength());
                caught += Math.abs(right - k.dotScalar(row, 0, x, 0, m.rowLength())) > tol ? 1 : 0;
            }
            assertTrue(caught >= m.rows() * 0.9, "one wrong level escaped the tolerance in " + (m.rows() - caught) + " rows");
        }
    }

    /** The widths other than this JVM's, each in a child JVM forced to it (wider than the CPU's runs unaccelerated). */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {128, 256, 512})
    void shouldAgreeAtOtherVectorWidths(int bits) throws Exception {
        assumeTrue(bits != Lanes.F.vectorBitSize(), "this JVM's own width is what the other tests run at");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules=jdk.incubator.vector", "-D" + Lanes.WIDTH_PROPERTY + "=" + bits,
                "-cp", System.getProperty("java.class.path"), VectorWidthCheck.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "child JVM did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("species=" + bits + " "), text);
        for (GgmlType t : types().toList()) {
            assertTrue(text.contains(t + " ok"), t + " missing from:\n" + text);
        }
    }
}
