package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufMetadata;
import dev.shoal.tensor.gguf.GgufWriter;
import dev.shoal.tensor.gguf.MetadataValue;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and configuring a tokenizer from metadata: model and pre-tokenizer names, errors, load cost. */
class TokenizerFromGgufTest {

    @TempDir
    Path tmp;

    private static GgufMetadata read(String relative) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require(relative))) {
            return f.metadata();
        }
    }

    private static GgufMetadata with(GgufMetadata md, String key, MetadataValue value) {
        Map<String, MetadataValue> kv = new LinkedHashMap<>(md.entries());
        kv.put(key, value);
        return new GgufMetadata("modified", kv);
    }

    @Test
    void unknownPreTokenizerIsAClearError() throws Exception {
        Path file = tmp.resolve("nonsense-pre.gguf");
        new GgufWriter().putAll(read("llama.cpp-vocab/ggml-vocab-gpt-2.gguf"))
                .putString("tokenizer.ggml.pre", "nonsense")
                .write(file);
        GgufMetadata md;
        try (GgufFile f = GgufFile.open(file)) {
            md = f.metadata();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(md));
        String msg = e.getMessage();
        assertTrue(msg.contains("'nonsense'"), msg);
        for (String supported : new String[] {"llama-bpe", "llama3", "llama-v3", "qwen2", "gpt-2", "default"}) {
            assertTrue(msg.contains(supported), msg);
        }
    }

    @Test
    void unknownModelIsAClearError() throws Exception {
        GgufMetadata md = with(read("stories260K.gguf"), "tokenizer.ggml.model", MetadataValue.string("bert"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
    }

    @Test
    void preTokenizerAliases() throws Exception {
        GgufMetadata llama = read("llama.cpp-vocab/ggml-vocab-llama-bpe.gguf");
        String text = "Cửa Việt 1234567 don't\n\n  x";
        int[] want = Tokenizer.fromGguf(llama).encode(text);
        for (String alias : new String[] {"llama3", "llama-v3"}) {
            Tokenizer t = Tokenizer.fromGguf(with(llama, "tokenizer.ggml.pre", MetadataValue.string(alias)));
            assertArrayEquals(want, t.encode(text), alias);
            assertTrue(t.addBosByDefault(), alias);
        }
        GgufMetadata gpt2 = read("llama.cpp-vocab/ggml-vocab-gpt-2.gguf");
        Tokenizer asDefault = Tokenizer.fromGguf(with(gpt2, "tokenizer.ggml.pre", MetadataValue.string("default")));
        assertArrayEquals(Tokenizer.fromGguf(gpt2).encode(text), asDefault.encode(text));
    }

    @Test
    void addBosKeyOverridesThePreTokenizerDefault() throws Exception {
        GgufMetadata qwen = read("llama.cpp-vocab/ggml-vocab-qwen2.gguf");
        Tokenizer t = Tokenizer.fromGguf(with(qwen, "tokenizer.ggml.add_bos_token", MetadataValue.bool(true)));
        assertTrue(t.addBosByDefault());
    }

    @Test
    void eotKeyAddsAnEndOfGenerationToken() throws Exception {
        GgufMetadata qwen = read("llama.cpp-vocab/ggml-vocab-qwen2.gguf");
        Tokenizer t = Tokenizer.fromGguf(with(qwen, "tokenizer.ggml.eot_token_id", MetadataValue.uint32(151644)));
        assertTrue(t.isEndOfGeneration(151644));
        assertTrue(t.isEndOfGeneration(151645));
    }

    /** Llama 3: 128k tokens and 280k merges must load in well under a couple of seconds. */
    @Test
    void llama3LoadsAndEncodesQuickly() throws Exception {
        Path gguf = SharedModels.require("llama.cpp-vocab/ggml-vocab-llama-bpe.gguf");
        String text = "The quick brown fox jumps over the lazy dog. Ünïcödé 中文 🙂 1234567890\n".repeat(2000);
        long bestLoad = Long.MAX_VALUE;
        long bestEncode = Long.MAX_VALUE;
        int n = 0;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            Tokenizer tok;
            try (GgufFile f = GgufFile.open(gguf)) {
                tok = Tokenizer.fromGguf(f.metadata());
            }
            long t1 = System.nanoTime();
            n = tok.encode(text).length;
            long t2 = System.nanoTime();
            bestLoad = Math.min(bestLoad, t1 - t0);
            bestEncode = Math.min(bestEncode, t2 - t1);
        }
        System.out.printf("llama-bpe: open+build %.0f ms, encode %d chars -> %d ids %.0f ms (best of 3)%n",
                bestLoad / 1e6, text.length(), n, bestEncode / 1e6);
        assertTrue(bestLoad < 2_000_000_000L, "loading took " + bestLoad / 1e6 + " ms");
    }
}
