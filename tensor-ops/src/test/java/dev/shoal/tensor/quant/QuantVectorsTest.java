package dev.shoal.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dequantization against llama.cpp's own dequantized values (quant-vectors): bit for bit. */
class QuantVectorsTest {

    static Stream<GgmlType> types() {
        return Stream.concat(Stream.of(GgmlType.F32), QuantFixtures.TYPES.stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldDequantizeLikeLlamaCppBitForBit(GgmlType type) throws Exception {
        String name = QuantFixtures.fileName(type);
        Path gguf = SharedModels.require("quant-vectors/" + name + ".gguf");
        try (GgufFile f = GgufFile.open(gguf)) {
            for (String[] t : QuantFixtures.TENSORS) {
                float[] expected = QuantFixtures.readF32(SharedModels.require("quant-vectors/" + name + "." + t[1] + ".f32"));
                QuantFixtures.Matrix m = QuantFixtures.Matrix.of(f, t[0]);
                assertEquals(type, m.type(), t[0] + " type");
                assertEquals(expected.length, m.rowLength() * m.rows(), t[0] + " element count");

                assertBitIdentical(expected, m.dequantizeRows(), t[0] + " row by row");
                float[] whole = new float[expected.length + 3];
                QuantFixtures.kernel(type).dequantize(m.data(), 0, whole, 3, expected.length);
                assertBitIdentical(expected, java.util.Arrays.copyOfRange(whole, 3, whole.length), t[0] + " in one call");
            }
        }
    }

    private static void assertBitIdentical(float[] expected, float[] actual, String what) {
        int differing = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                differing++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (differing > 0) {
            fail(what + ": " + differing + " of " + expected.length + " values differ; first at " + first + ": expected "
                    + expected[first] + ", got " + actual[first]);
        }
    }
}
