package dev.shoal.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.actors.api.ModelEntry;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticModelWriter;
import dev.shoal.tensor.synth.SyntheticShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCatalogTest {

    @TempDir
    static Path dir;

    /** tiny: dim 256, 2 layers, 4 heads (2 KV) of 64, FFN 768, vocab 512, tied embeddings. */
    static final long TINY_PARAMS = 256L * 512 + 256 + 2 * (256 + 256 + 256L * 256 + 2 * 256L * 128 + 256L * 256
            + 3 * 256L * 768);

    @BeforeAll
    static void models() throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), dir.resolve("stories260K.gguf"));
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q8_0, 1, 0.02f, null)
                .write(dir.resolve("tiny-q8.gguf"));
        Files.createDirectory(dir.resolve("extra"));
        new SyntheticModelWriter(SyntheticShape.named("tiny"), GgmlType.Q4_K, 2, 0.02f, null)
                .write(dir.resolve("extra").resolve("tiny:q4.gguf"));
        Files.writeString(dir.resolve("broken.gguf"), "this is not a model");
        Files.writeString(dir.resolve("notes.txt"), "ignored");
    }

    @Test
    void theCatalogShouldListEveryModelWithItsHeaderFacts() throws Exception {
        ModelCatalog c = ModelCatalog.scan(dir);
        assertEquals(List.of("stories260K", "tiny-q8", "tiny:q4"), c.entries().stream().map(ModelEntry::name).toList());

        ModelEntry s = c.lookup("stories260K").orElseThrow();
        assertEquals(Files.size(dir.resolve("stories260K.gguf")), s.sizeBytes());
        assertEquals(dir.resolve("stories260K.gguf").toAbsolutePath(), s.path());
        assertEquals("llama", s.architecture());
        assertEquals("F32", s.quantization(), "no general.file_type: the matrices' type");
        assertEquals(292_800, s.parameterCount());
        assertEquals(2048, s.contextLength());
        assertEquals(64L, s.details().get("llama.embedding_length"));
        assertFalse(s.details().containsKey("tokenizer.ggml.tokens"), "arrays are left out of details");
        assertEquals(64, s.digest().length());

        ModelEntry q8 = c.lookup("tiny-q8").orElseThrow();
        assertEquals("Q8_0", q8.quantization());
        assertEquals(TINY_PARAMS, q8.parameterCount());
        assertEquals(512, q8.contextLength());
        assertEquals("Q4_K_M", c.lookup("tiny:q4").orElseThrow().quantization(), "general.file_type 15");
    }

    @Test
    void theKvShapeShouldComeFromTheHeader() {
        ModelFile f = ModelCatalog.scan(dir).lookupFile("stories260K").orElseThrow();
        // 5 layers x 4 KV heads x (8 + 8) x 64 tokens x 4 bytes x 2 sequences
        assertEquals(5L * 4 * 16 * 64 * 4 * 2, f.kvCacheBytes(64, 2));
        assertEquals(2048, f.effectiveContext(4096));
        assertEquals(f.entry().sizeBytes() + 2L * 5 * 4 * 8 * 512 * 4 * 3, f.residentBytes(512, 3));
    }

    @Test
    void namesShouldResolveWithOllamaStyleTags() {
        ModelCatalog c = ModelCatalog.scan(dir);
        assertEquals("stories260K", c.lookup("stories260K:latest").orElseThrow().name());
        assertEquals("stories260K", c.lookup("Stories260k").orElseThrow().name(), "case-insensitive fallback");
        assertEquals("tiny-q8", c.lookup("tiny:q8").orElseThrow().name(), "name:tag → name-tag.gguf");
        assertEquals("tiny:q4", c.lookup("tiny:q4").orElseThrow().name(), "name:tag → name:tag.gguf");
        assertEquals(Optional.empty(), c.lookup("tiny"));
        assertEquals(Optional.empty(), c.lookup("stories260K:q4"));
        assertEquals(Optional.empty(), c.lookup("broken"));
        assertEquals(Optional.empty(), c.lookup(""));
    }

    @Test
    void findShouldRescanForANameNotSeenYet(@TempDir Path own) throws Exception {
        ModelCatalog c = ModelCatalog.scan(own);
        assertEquals(List.of(), c.entries());
        Files.copy(dir.resolve("tiny-q8.gguf"), own.resolve("late.gguf"));
        assertEquals(Optional.empty(), c.lookup("late"), "lookup does not rescan");
        assertEquals("late", c.find("late:latest").orElseThrow().name());
        Files.delete(own.resolve("late.gguf"));
        assertEquals(List.of(), c.refresh());
    }

    @Test
    void aMissingDirectoryShouldGiveAnEmptyCatalog() {
        assertEquals(List.of(), ModelCatalog.scan(dir.resolve("nowhere")).entries());
    }

    @Test
    void theDigestShouldChangeWithTheFileButNotBetweenScans(@TempDir Path own) throws Exception {
        Path p = own.resolve("m.gguf");
        Files.copy(dir.resolve("tiny-q8.gguf"), p);
        String first = ModelCatalog.scan(own).lookup("m").orElseThrow().digest();
        assertEquals(first, ModelCatalog.scan(own).lookup("m").orElseThrow().digest());
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        assertNotEquals(first, ModelCatalog.scan(own).lookup("m").orElseThrow().digest());
    }

    @Test
    void llamaCppFileTypeNamesShouldMatchItsEnum() {
        assertEquals(Optional.of("F32"), FileTypes.name(0));
        assertEquals(Optional.of("Q4_K_M"), FileTypes.name(15));
        assertEquals(Optional.of("Q6_K"), FileTypes.name(18));
        assertEquals(Optional.of("BF16"), FileTypes.name(32));
        assertTrue(FileTypes.name(4).isEmpty(), "4 (Q4_1_SOME_F16) is retired");
    }
}
