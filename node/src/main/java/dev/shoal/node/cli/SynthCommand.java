package dev.shoal.node.cli;

import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code shoal synth}: writes a random-weight GGUF of a real model's shape. */
final class SynthCommand {

    static final String USAGE = "shoal synth --shape NAME --type TYPE --out FILE [--seed N] [--std S] [--vocab GGUF]";

    private SynthCommand() {
    }

    static int run(String[] args, PrintStream err) throws Exception {
        Flags f = Flags.parse(args, USAGE, Set.of("shape", "type", "out", "seed", "std", "vocab"), Set.of());
        SyntheticShape shape;
        try {
            shape = SyntheticShape.named(f.string("shape"));
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
        GgmlType type;
        try {
            type = GgmlType.valueOf(f.string("type").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw f.error("unknown --type '" + f.string("type") + "' (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
        }
        Path out = Path.of(f.string("out"));
        if (out.getParent() != null && !Files.isDirectory(out.getParent())) {
            throw f.error("--out " + out + ": directory " + out.getParent() + " does not exist");
        }
        Path vocab = f.has("vocab") ? f.existingFile("vocab") : null;
        SyntheticModelWriter writer;
        try {
            writer = new SyntheticModelWriter(shape, type, f.longValue("seed", 1234),
                    (float) f.number("std", 0.02, 1e-6, 10), vocab);
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
        long t0 = System.nanoTime();
        writer.write(out);
        err.printf("wrote %s: shape %s, type %s, %.1fM parameters, %.1f MB in %.1f s%n", out, shape.name(), type,
                shape.parameters() / 1e6, Files.size(out) / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
