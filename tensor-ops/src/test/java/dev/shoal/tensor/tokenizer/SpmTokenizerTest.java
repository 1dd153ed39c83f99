package dev.shoal.tensor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufMetadata;
import dev.shoal.tensor.gguf.MetadataValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SentencePiece over the 512-token TinyStories vocabulary of stories260K.gguf (byte fallback for everything else). */
class SpmTokenizerTest {

    /** The first 40 ids of the greedy stories260K run documented in shared/models/README.md. */
    private static final int[] GOLDEN_40 = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
            338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261,
            370, 432, 352};

    private static GgufMetadata md;
    private static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            md = f.metadata();
        }
        tok = Tokenizer.fromGguf(md);
    }

    @Test
    void encodesThePromptAsLlama2cDoes() {
        assertInstanceOf(SpmTokenizer.class, tok);
        assertArrayEquals(new int[] {403, 407, 261, 378}, tok.encode("Once upon a time"));
        assertEquals("403 407 261 378", TokenizeCommand.tokenize(md, "Once upon a time"));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, tok.encode("Once upon a time", true, false));
    }

    @Test
    void decodesTheGoldenStory() {
        String text = tok.decode(GOLDEN_40);
        assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily."), text);
        // BOS decodes to nothing, and the prefix space is dropped from the first piece that has text.
        int[] withBos = IntStream.concat(IntStream.of(tok.bos()), IntStream.of(GOLDEN_40)).toArray();
        assertEquals(text, tok.decode(withBos));
    }

    @Test
    void vocabularyFacts() {
        assertEquals(512, tok.vocabSize());
        assertEquals(1, tok.bos());
        assertEquals(2, tok.eos());
        assertTrue(tok.addBosByDefault());
        assertTrue(tok.addsSpacePrefix());
        assertTrue(tok.isEndOfGeneration(2));
        assertFalse(tok.isEndOfGeneration(1));
        assertEquals(TokenType.CONTROL, tok.tokenType(1));
        assertEquals(TokenType.BYTE, tok.tokenType(13));
        assertEquals("", tok.piece(1));
        assertEquals("", tok.piece(0)); // <unk> decodes to nothing, as in llama.cpp
        assertEquals("\n", tok.piece(13));
        assertEquals(" Once", tok.piece(403));
        assertEquals(403, tok.tokenId("▁Once").orElseThrow());
    }

    @Test
    void unknownCharactersFallBackToBytesAndRoundTrip() {
        String text = "Lily saw a 🙂 and said 你好, café — ½!";
        int[] ids = tok.encode(text);
        assertTrue(IntStream.of(ids).anyMatch(id -> tok.tokenType(id) == TokenType.BYTE), "expected byte tokens");
        // 🙂 is F0 9F 99 82: four byte tokens in a row
        int[] smile = tok.encode("🙂");
        assertArrayEquals(new int[] {tok.tokenId("▁").orElseThrow(), byteToken(0xF0), byteToken(0x9F),
                byteToken(0x99), byteToken(0x82)}, smile);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void specialTokenTextIsParsedOnlyWhenAsked() {
        String text = "<s>Once upon a time</s>";
        int[] parsed = tok.encode(text, false, true);
        // After a special token llama.cpp prefixes the raw text with a space again.
        assertArrayEquals(new int[] {1, 403, 407, 261, 378, 2}, parsed);
        int[] plain = tok.encode(text);
        assertTrue(IntStream.of(plain).noneMatch(id -> id == 1 || id == 2), () -> java.util.Arrays.toString(plain));
        assertEquals(text, tok.decode(plain));
        assertEquals("Once upon a time", tok.decode(parsed));
    }

    @Test
    void streamDecoderHoldsBackSplitCharacters() {
        String text = "Hi 🙂 世界!";
        int[] ids = tok.encode(text);
        List<String> chunks = StreamDecoderChecks.feedAll(tok, ids);
        StreamDecoderChecks.assertWellFormed(chunks);
        assertEquals(text, String.join("", chunks));
        assertEquals(tok.decode(ids), String.join("", chunks));
        // The emoji's four byte tokens: three held back, the fourth completes it.
        int start = indexOf(ids, byteToken(0xF0));
        StreamDecoder d = tok.newStreamDecoder();
        for (int i = 0; i < start; i++) {
            d.feed(ids[i]);
        }
        assertEquals("", d.feed(ids[start]));
        assertEquals("", d.feed(ids[start + 1]));
        assertEquals("", d.feed(ids[start + 2]));
        assertEquals("🙂", d.feed(ids[start + 3]));
        assertEquals("", d.flush());
    }

    @Test
    void streamDecoderReplacesInvalidSequences() {
        int a = tok.tokenId("▁a").orElseThrow();
        int[] ids = {byteToken(0xE2), byteToken(0x82), a, byteToken(0x80), byteToken(0xF0)};
        StreamDecoder d = tok.newStreamDecoder();
        assertEquals("", d.feed(ids[0]));
        assertEquals("", d.feed(ids[1]));
        // E2 82 is cut short by a space: one U+FFFD for the truncated sequence (the prefix space was not
        // stripped: the byte token was the first piece with text).
        assertEquals("\uFFFD a", d.feed(ids[2]));
        assertEquals("\uFFFD", d.feed(ids[3])); // a stray continuation byte
        assertEquals("", d.feed(ids[4]));
        assertEquals("\uFFFD", d.flush());   // F0 never completed
        assertEquals("\uFFFD a\uFFFD\uFFFD", tok.decode(ids));
    }

    @Test
    void withoutSpacePrefixNothingIsAddedOrStripped() {
        Map<String, MetadataValue> kv = new LinkedHashMap<>(md.entries());
        kv.put("tokenizer.ggml.add_space_prefix", MetadataValue.bool(false));
        Tokenizer noPrefix = Tokenizer.fromGguf(new GgufMetadata("no-prefix", kv));
        assertFalse(noPrefix.addsSpacePrefix());
        int[] ids = noPrefix.encode("Once upon a time");
        assertNotEquals(403, ids[0]);
        assertEquals("Once upon a time", noPrefix.decode(ids));
        assertEquals(" Once", noPrefix.decode(new int[] {403}));
    }

    private static int byteToken(int b) {
        return tok.tokenId(String.format("<0x%02X>", b)).orElseThrow();
    }

    private static int indexOf(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        throw new AssertionError("id " + id + " not in the encoding");
    }
}
