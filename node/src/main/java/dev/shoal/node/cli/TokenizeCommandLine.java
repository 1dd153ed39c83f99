package dev.shoal.node.cli;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.tokenizer.TokenizeCommand;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * {@code shoal tokenize}: prints token ids separated by single spaces, without BOS and without parsing special
 * tokens — the form llama.cpp's tokenizer tests compare. Reads stdin when {@code --text} is absent.
 */
final class TokenizeCommandLine {

    static final String USAGE = "shoal tokenize --model FILE [--text TEXT]";

    private TokenizeCommandLine() {
    }

    static int run(String[] args, InputStream in, PrintStream out) throws Exception {
        Flags f = Flags.parse(args, USAGE, Set.of("model", "text"), Set.of());
        var model = f.existingFile("model");
        String text = f.has("text") ? f.string("text") : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        try (GgufFile file = GgufFile.open(model)) {
            out.println(TokenizeCommand.tokenize(file.metadata(), text));
        }
        return 0;
    }
}
