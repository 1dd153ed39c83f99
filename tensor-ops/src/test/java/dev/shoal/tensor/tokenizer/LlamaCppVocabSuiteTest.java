package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's {@code test-tokenizer-0} over its vocab-only GGUFs: every case of {@code .inp} must encode (no BOS,
 * no special parsing) to exactly the ids of {@code .out}, through {@link TokenizeCommand#tokenize} — the path of
 * {@code shoal tokenize}. Each expected id list must also decode back to its input: for byte-level BPE that holds by
 * construction, for SentencePiece through the dropped leading prefix space.
 */
class LlamaCppVocabSuiteTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ggml-vocab-llama-spm", "ggml-vocab-phi-3", "ggml-vocab-gpt-2", "ggml-vocab-llama-bpe",
            "ggml-vocab-qwen2"})
    void everyCaseMatchesLlamaCpp(String vocab) throws Exception {
        Path gguf = SharedModels.require("llama.cpp-vocab/" + vocab + ".gguf");
        LlamaCppSuite suite = LlamaCppSuite.read(gguf.resolveSibling(vocab + ".gguf.inp"),
                gguf.resolveSibling(vocab + ".gguf.out"));
        try (GgufFile file = GgufFile.open(gguf)) {
            runSuite(vocab, file.metadata(), suite);
        }
    }

    /** The random-weights Llama-2 model carries the real Llama-2 vocab, so the llama-spm suite applies to it. */
    @Test
    void llama2TinyRandomCarriesTheLlamaSpmVocab() throws Exception {
        Path gguf = SharedModels.require("llama-2-tiny-random.gguf");
        Path inp = SharedModels.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp");
        LlamaCppSuite suite = LlamaCppSuite.read(inp, inp.resolveSibling("ggml-vocab-llama-spm.gguf.out"));
        try (GgufFile file = GgufFile.open(gguf)) {
            runSuite("llama-2-tiny-random", file.metadata(), suite);
        }
    }

    /** command-r ships only .inp/.out upstream here; its vocabulary GGUF is too large and not available. */
    @Test
    void commandRHasNoVocabulary() {
        Path dir = SharedModels.require("llama.cpp-vocab/ggml-vocab-command-r.gguf.inp").getParent();
        assertTrue(Files.isRegularFile(dir.resolve("ggml-vocab-command-r.gguf.inp")));
        assertFalse(Files.exists(dir.resolve("ggml-vocab-command-r.gguf")),
                "a command-r vocabulary appeared: add it to everyCaseMatchesLlamaCpp");
        Assumptions.abort("ggml-vocab-command-r.gguf is not available: its suite is skipped");
    }

    private static void runSuite(String name, GgufMetadata md, LlamaCppSuite suite) {
        Tokenizer tokenizer = Tokenizer.fromGguf(md);
        List<String> failures = new ArrayList<>();
        int passed = 0;
        for (int i = 0; i < suite.size(); i++) {
            String input = suite.inputs().get(i);
            int[] want = suite.expected().get(i);
            int[] got = LlamaCppSuite.parseIds(TokenizeCommand.tokenize(md, input));
            String decoded = tokenizer.decode(want);
            boolean ok = true;
            if (!Arrays.equals(want, got)) {
                failures.add("case " + i + " '" + LlamaCppSuite.show(input) + "': expected " + Arrays.toString(want)
                        + " got " + Arrays.toString(got));
                ok = false;
            }
            if (!decoded.equals(input)) {
                failures.add("case " + i + " '" + LlamaCppSuite.show(input) + "': expected ids decode to '"
                        + LlamaCppSuite.show(decoded) + "'");
                ok = false;
            }
            passed += ok ? 1 : 0;
        }
        System.out.printf("%s: %d/%d llama.cpp cases pass%n", name, passed, suite.size());
        assertEquals(List.of(), failures, name + ": " + failures.size() + " failures in " + suite.size() + " cases");
    }
}
