package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One llama.cpp tokenizer test suite: {@code X.gguf.inp} holds the inputs, each followed by the line
 * {@code __ggml_vocab_test__}; {@code X.gguf.out} holds one line per input with the expected ids, each written with
 * a leading space (an empty line for the empty input).
 */
record LlamaCppSuite(List<String> inputs, List<int[]> expected) {

    private static final String MARKER = "\n__ggml_vocab_test__\n";

    static LlamaCppSuite read(Path inp, Path out) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        if (!all.endsWith(MARKER)) {
            throw new IllegalStateException(inp + " does not end with the case marker");
        }
        List<String> inputs = List.of(all.substring(0, all.length() - MARKER.length()).split(Pattern.quote(MARKER), -1));
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(inputs.size(), lines.size(), inp.getFileName() + " and " + out.getFileName() + " disagree on the case count");
        List<int[]> expected = new ArrayList<>();
        for (String line : lines) {
            expected.add(parseIds(line));
        }
        return new LlamaCppSuite(inputs, expected);
    }

    static int[] parseIds(String line) {
        String t = line.strip();
        return t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    int size() {
        return inputs.size();
    }

    /** The input with control characters made visible, for failure messages. */
    static String show(String s) {
        return s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }
}
