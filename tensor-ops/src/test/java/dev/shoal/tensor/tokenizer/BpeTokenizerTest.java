package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Byte-level BPE over the Qwen2, Llama 3 and GPT-2 vocabularies of llama.cpp's test suite. */
class BpeTokenizerTest {

    private static Tokenizer qwen2;
    private static Tokenizer llama3;
    private static Tokenizer gpt2;

    @BeforeAll
    static void load() throws Exception {
        qwen2 = open("ggml-vocab-qwen2");
        llama3 = open("ggml-vocab-llama-bpe");
        gpt2 = open("ggml-vocab-gpt-2");
    }

    private static Tokenizer open(String vocab) throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("llama.cpp-vocab/" + vocab + ".gguf"))) {
            return Tokenizer.fromGguf(f.metadata());
        }
    }

    private static Tokenizer byName(String name) {
        return switch (name) {
            case "qwen2" -> qwen2;
            case "llama-bpe" -> llama3;
            case "gpt-2" -> gpt2;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @Test
    void chatMarkersBecomeControlTokensOnlyWhenParsingSpecial() {
        String chat = "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n";
        int imStart = qwen2.tokenId("<|im_start|>").orElseThrow();
        int imEnd = qwen2.tokenId("<|im_end|>").orElseThrow();
        assertEquals(151644, imStart);
        assertEquals(151645, imEnd);
        int[] parsed = qwen2.encode(chat, false, true);
        assertEquals(imStart, parsed[0]);
        assertEquals(2, IntStream.of(parsed).filter(id -> id == imStart).count());
        assertEquals(1, IntStream.of(parsed).filter(id -> id == imEnd).count());
        assertEquals("user\nHello!\nassistant\n", qwen2.decode(parsed)); // control tokens decode to nothing
        int[] plain = qwen2.encode(chat);
        assertTrue(IntStream.of(plain).allMatch(id -> id < 151643), Arrays.toString(plain));
        assertEquals(chat, qwen2.decode(plain));
    }

    @Test
    void llama3HeaderTokensParse() {
        String prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        int[] ids = llama3.encode(prompt, false, true);
        assertEquals(128000, ids[0]);
        assertEquals(128006, ids[1]);
        assertEquals(128009, ids[ids.length - 1]);
        assertEquals("user\n\nHi", llama3.decode(ids));
    }

    /** Qwen2's [PADn] tokens are USER_DEFINED: llama.cpp matches them as literal text even without parse_special. */
    @Test
    void userDefinedTokensAreAlwaysMatched() {
        int pad = qwen2.tokenId("[PAD151646]").orElseThrow();
        assertEquals(TokenType.USER_DEFINED, qwen2.tokenType(pad));
        int[] ids = qwen2.encode("a[PAD151646]b");
        assertTrue(IntStream.of(ids).anyMatch(id -> id == pad), Arrays.toString(ids));
        assertEquals("a[PAD151646]b", qwen2.decode(ids)); // and decode to their text
    }

    @Test
    void endOfGenerationAndBosDefaults() {
        assertInstanceOf(BpeTokenizer.class, qwen2);
        assertTrue(qwen2.isEndOfGeneration(151643)); // eos, <|endoftext|>
        assertTrue(qwen2.isEndOfGeneration(151645)); // <|im_end|>
        assertFalse(qwen2.isEndOfGeneration(151644));
        assertFalse(qwen2.addBosByDefault());
        assertEquals(151643, qwen2.bos());

        assertTrue(llama3.isEndOfGeneration(128001)); // eos <|end_of_text|>
        assertTrue(llama3.isEndOfGeneration(128009)); // <|eot_id|>
        assertFalse(llama3.isEndOfGeneration(128008)); // reserved in Llama 3.0 (3.1 made it <|eom_id|>)
        assertFalse(llama3.isEndOfGeneration(128000));
        assertTrue(llama3.addBosByDefault());
        assertEquals(128000, llama3.bos());
        assertEquals(128000, llama3.encode("Hi", true, false)[0]);

        assertTrue(gpt2.isEndOfGeneration(50256));
        assertFalse(gpt2.addBosByDefault());
        assertFalse(gpt2.addsSpacePrefix());
    }

    @Test
    void piecesAreBytesNotByteCharacters() {
        int hello = llama3.tokenId("ĠHello").orElseThrow();
        assertEquals(" Hello", llama3.piece(hello));
        assertEquals("Ċ", llama3.tokenText(llama3.encode("\n")[0]));
        assertEquals("\n", llama3.piece(llama3.encode("\n")[0]));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"qwen2", "llama-bpe", "gpt-2"})
    void streamDecoderNeverSplitsACharacter(String name) {
        Tokenizer tok = byName(name);
        for (String text : List.of("🙂", "🫠", "Smile 🙂 please 🫠", "龘靐齉爩", "日本語のテキストと中文字符 🚀👍🏽",
                "ñandú über café")) {
            int[] ids = tok.encode(text);
            List<String> chunks = StreamDecoderChecks.feedAll(tok, ids);
            StreamDecoderChecks.assertWellFormed(chunks);
            assertEquals(text, String.join("", chunks), name + " " + Arrays.toString(ids));
            assertEquals(tok.decode(ids), String.join("", chunks));
        }
        // 🫠 (F0 9F AB A0) and these rare CJK characters are split across byte pieces in all three vocabularies
        // (Qwen2 has 🙂 as one token), so the decoder must hold bytes back.
        for (String split : List.of("🫠", "龘靐齉爩")) {
            int[] ids = tok.encode(split);
            assertTrue(ids.length > split.codePointCount(0, split.length()), name + ": " + Arrays.toString(ids));
            assertTrue(StreamDecoderChecks.heldBack(StreamDecoderChecks.feedAll(tok, ids)), name + " " + split);
        }
    }

    /** Llama 3 writes 🙂 as two pieces, F0 9F and 99 82: the first must produce nothing, the second the emoji. */
    @Test
    void llama3SmileIsHeldUntilComplete() {
        int[] ids = llama3.encode("🙂");
        assertEquals(2, ids.length, Arrays.toString(ids));
        StreamDecoder d = llama3.newStreamDecoder();
        assertEquals("", d.feed(ids[0]));
        assertEquals("🙂", d.feed(ids[1]));
        assertEquals("", d.flush());
        assertEquals("\uFFFD", llama3.piece(ids[0])); // on its own, a cut-off sequence
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"qwen2", "llama-bpe", "gpt-2"})
    void anyTextRoundTrips(String name) {
        Tokenizer tok = byName(name);
        String text = "  Mixed\tscripts: Ελληνικά, русский, ភាសាខ្មែរ, العربية, हिन्दी;\r\n digits 1234567 and\u00a0nbsp \u3000 "
                + "emoji 👩‍👩‍👧 flags 🇫🇷 — and 'quotes' they're I'LL\n\n\n  ";
        assertEquals(text, tok.decode(tok.encode(text)));
    }
}
