package dev.shoal.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sub-commands as a user runs them, through the same entry point as bin/shoal. */
class CliTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String stories() {
        return SharedModels.require("stories260K.gguf").toString();
    }

    @Test
    void tokenizeShouldPrintIdsWithoutBos() {
        Run r = run("", "tokenize", "--model", stories(), "--text", "Once upon a time");
        assertEquals(0, r.code(), r.err());
        assertEquals("403 407 261 378", r.out().trim());
    }

    @Test
    void tokenizeShouldReadStdinWithoutText() {
        Run r = run("Once upon a time", "tokenize", "--model", stories());
        assertEquals("403 407 261 378", r.out().trim());
    }

    @Test
    void greedyGenerationFromAnEmptyPromptShouldStartTheReferenceStory() {
        Run r = run("", "generate", "--model", stories(), "--prompt", "", "--max-tokens", "60", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside"
                + " in the park. One day, she saw a big, red ball."), r.out());
        String summary = r.err().strip();
        assertEquals(1, summary.lines().count(), r.err());
        assertTrue(summary.matches("prompt tokens: 1, generated tokens: 60, prompt: [0-9.]+ tok/s, generation: [0-9.]+ tok/s.*"),
                summary);
    }

    @Test
    void aPromptedGreedyRunShouldContinueLikeTheUnpromptedOne() {
        Run r = run("", "generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "12",
                "--temperature", "0");
        assertTrue(r.out().startsWith(", there was a little girl named Lily."), r.out());
    }

    @Test
    void sameSeedShouldReproduceSampledText() {
        String[] args = {"generate", "--model", stories(), "--prompt", "Lily", "--max-tokens", "30", "--temperature",
            "1.0", "--seed", "42"};
        Run a = run("", args);
        Run b = run("", args);
        assertEquals(a.out(), b.out());
        Run c = run("", "generate", "--model", stories(), "--prompt", "Lily", "--max-tokens", "30", "--temperature",
                "1.0", "--seed", "43");
        assertTrue(!a.out().equals(c.out()), "a different seed should sample differently");
    }

    @Test
    void stopStringShouldEndTheTextBeforeIt() {
        Run r = run("", "generate", "--model", stories(), "--prompt", "", "--max-tokens", "100", "--temperature", "0",
                "--stop", "Lily");
        assertEquals("Once upon a time, there was a little girl named", r.out().strip());
        assertTrue(r.err().contains("stop: stop_string"), r.err());
    }

    @Test
    void wrongFlagsShouldGiveOneLineAndExitTwo() {
        for (String[] args : new String[][] {
            {"generate", "--modle", "x"},
            {"generate", "--model", stories(), "--prompt", "a", "--max-tokens", "zero"},
            {"generate", "--model", stories(), "--prompt", "a", "--temperature", "-1"},
            {"generate", "--model", "/nonexistent/m.gguf", "--prompt", "a"},
            {"tokenize"},
            {"synth", "--shape", "nope", "--type", "Q8_0", "--out", "x.gguf"},
            {"driver"},
            {"driver", "--dir", "/nonexistent-parent/host-driver"},
            {"driver", "--dir", "host-driver", "--idle", "adaptive"},
            {"bogus"},
        }) {
            Run r = run("", args);
            assertEquals(2, r.code(), String.join(" ", args) + " → " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("usage:"), r.err());
        }
    }

    @Test
    void aCorruptModelShouldGiveOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("broken.gguf");
        byte[] real = Files.readAllBytes(Path.of(stories()));
        Files.write(bad, java.util.Arrays.copyOf(real, 5000));
        Run r = run("", "generate", "--model", bad.toString(), "--prompt", "a");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("broken.gguf") && r.err().contains("truncated"), r.err());
    }

    @Test
    void benchShouldReportTheMedianOfItsRepetitionsAndEveryRun() throws Exception {
        Run r = run("", "bench", "--model", stories(), "--threads", "1", "--prompt-tokens", "16", "--gen-tokens", "8",
                "--repetitions", "3", "--json");
        assertEquals(0, r.code(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().strip().lines()
                .reduce((a, b) -> b).orElseThrow());
        assertEquals(3, json.get("repetitions").asInt());
        for (String phase : new String[] {"prompt", "gen"}) {
            var runs = json.get(phase + "_tps_runs");
            assertEquals(3, runs.size(), phase);
            double[] v = {runs.get(0).asDouble(), runs.get(1).asDouble(), runs.get(2).asDouble()};
            java.util.Arrays.sort(v);
            assertTrue(v[0] > 0, phase + " runs " + runs);
            assertEquals(v[1], json.get(phase + "_tps").asDouble(), 0.006, phase + ": the median of " + runs);
        }
        assertTrue(r.out().contains("(median of 3: "), r.out());
        Run bad = run("", "bench", "--model", stories(), "--repetitions", "0");
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("repetitions"), bad.err());
    }

    @Test
    void synthShouldWriteAModelThatGenerates(@TempDir Path dir) {
        Path out = dir.resolve("tiny.gguf");
        Run s = run("", "synth", "--shape", "tiny", "--type", "Q8_0", "--out", out.toString());
        assertEquals(0, s.code(), s.err());
        Run g = run("", "generate", "--model", out.toString(), "--prompt", "hello", "--max-tokens", "8",
                "--temperature", "0");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.err().contains("generated tokens: 8") || g.err().contains("stop: eos"), g.err());
    }
}
