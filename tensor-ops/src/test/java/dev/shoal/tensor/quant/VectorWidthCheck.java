package dev.shoal.tensor.quant;

import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Runs {@link AgreementChecks} for every type in this JVM, whose vector width may be forced with
 * {@code -Dshoal.quant.vectorBits}; {@link KernelAgreementTest} starts it at the widths this machine does not
 * prefer. Prints the species in use, exits 1 on the first failure.
 */
public final class VectorWidthCheck {

    private VectorWidthCheck() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("species=" + Lanes.F.vectorBitSize() + " lanes=" + Lanes.L);
        try {
            for (GgmlType t : Stream.concat(Stream.of(GgmlType.F32), QuantFixtures.TYPES.stream()).toList()) {
                if (t == GgmlType.F16 || t == GgmlType.BF16) {
                    AgreementChecks.allHalfPatterns(t);
                }
                if (t != GgmlType.F32) {
                    AgreementChecks.oneHot(t);
                }
                AgreementChecks.synthetic(t);
                AgreementChecks.quantized(t);
                AgreementChecks.dequantizeVector(t);
                AgreementChecks.quantizedOneHot(t);
                Path ref = AgreementChecks.referenceFile(t);
                String real = ref == null ? "no reference file" : "nmse " + AgreementChecks.realTensors(t, ref);
                System.out.println(t + " ok, " + real);
            }
        } catch (AssertionError e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
