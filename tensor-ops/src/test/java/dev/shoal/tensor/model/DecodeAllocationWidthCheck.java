package dev.shoal.tensor.model;

import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link DecodeAllocationTest}'s cases in this JVM, whose vector width may be forced with
 * {@code -Dshoal.quant.vectorBits}; the test starts it at the widths this machine does not prefer (the user's Macs
 * run 128-bit NEON). Prints one line per case, {@code TYPE threads MODE bytes=N}. At 128 bits, before the kernels
 * took one part index at a time as a constant, Q8_0, Q4_0, Q4_K and Q6_K decode boxed their vectors here.
 */
public final class DecodeAllocationWidthCheck {

    private DecodeAllocationWidthCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("shoal-alloc");
        try {
            for (String c : DecodeAllocationTest.CASES) {
                String[] f = c.split(", ");
                GgmlType type = GgmlType.valueOf(f[1]);
                int threads = Integer.parseInt(f[2]);
                ActivationMode mode = ActivationMode.valueOf(f[3]);
                Path file = dir.resolve(f[0] + "-" + type + ".gguf");
                if (!Files.exists(file)) {
                    new SyntheticModelWriter(SyntheticShape.named(f[0]), type, 11, 0.05f, null).write(file);
                }
                System.out.println(type + " " + threads + " " + mode + " bytes="
                        + DecodeAllocationTest.allocatedBytes(file, threads, mode));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
