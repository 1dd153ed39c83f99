package dev.shoal.tensor.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.quant.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Facts of the shared model files (shared/models/README.md §3), read through the reader. */
class GgufRealFilesTest {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Every tensor lies inside the file, aligned, and the last one ends exactly at EOF. */
    private static void assertTensorsTileTheDataSection(GgufFile f) {
        long end = 0;
        for (TensorInfo t : f.tensors()) {
            assertEquals(0, t.offset() % f.alignment(), t.name());
            assertEquals(t.type().bytesFor(t.elementCount()), t.byteSize(), t.name());
            assertEquals(t.byteSize(), f.data(t).byteSize(), t.name());
            end = Math.max(end, f.dataStart() + t.offset() + t.byteSize());
        }
        assertEquals(f.byteSize(), end);
        assertEquals(0, f.dataStart() % f.alignment());
    }

    @Test
    void stories260kV3() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(48, f.tensors().size());
            assertEquals(19, f.metadata().entries().size());
            assertEquals(14176, f.dataStart());
            assertEquals(32, f.alignment());
            assertEquals(1_185_376, f.byteSize());
            GgufMetadata md = f.metadata();
            assertEquals("llama", md.string("general.architecture"));
            assertEquals("llama", md.string("general.name"));
            assertEquals("llama", md.string("tokenizer.ggml.model"));
            assertEquals(2048, md.integer("llama.context_length"));
            assertEquals(64, md.integer("llama.embedding_length"));
            assertEquals(172, md.integer("llama.feed_forward_length"));
            assertEquals(5, md.integer("llama.block_count"));
            assertEquals(8, md.integer("llama.attention.head_count"));
            assertEquals(4, md.integer("llama.attention.head_count_kv"));
            assertEquals(8, md.integer("llama.rope.dimension_count"));
            assertEquals(1e-5f, (float) md.number("llama.attention.layer_norm_rms_epsilon"));
            assertFalse(md.has("llama.rope.freq_base"));
            assertEquals(GgufValueType.FLOAT32, md.get("llama.attention.layer_norm_rms_epsilon").orElseThrow().type());
            // u32 -1 must arrive unsigned
            assertEquals(GgufValueType.UINT32, md.get("tokenizer.ggml.padding_token_id").orElseThrow().type());
            assertEquals(4_294_967_295L, md.integer("tokenizer.ggml.padding_token_id"));
            assertEquals(4_294_967_295L, md.integer("tokenizer.ggml.seperator_token_id"));
            assertEquals(1, md.integer("tokenizer.ggml.bos_token_id"));
            assertEquals(2, md.integer("tokenizer.ggml.eos_token_id"));
            assertEquals(0, md.integer("tokenizer.ggml.unknown_token_id"));

            String[] tokens = md.strings("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals("<s>", tokens[1]);
            assertEquals("<0x0A>", tokens[13]);
            int[] types = md.ints("tokenizer.ggml.token_type");
            assertEquals(256, java.util.Arrays.stream(types).filter(t -> t == 6).count());
            assertEquals(512, md.floats("tokenizer.ggml.scores").length);

            Map<String, List<Long>> dims = f.tensors().stream().collect(Collectors.toMap(TensorInfo::name,
                    t -> java.util.Arrays.stream(t.dims()).boxed().toList()));
            assertEquals(List.of(64L, 512L), dims.get("token_embd.weight"));
            assertEquals(List.of(64L, 512L), dims.get("output.weight"));
            assertEquals(List.of(64L), dims.get("output_norm.weight"));
            assertEquals(List.of(64L, 32L), dims.get("blk.4.attn_k.weight"));
            assertEquals(List.of(172L, 64L), dims.get("blk.2.ffn_down.weight"));
            assertEquals(List.of(64L, 172L), dims.get("blk.0.ffn_gate.weight"));
            assertTrue(f.tensors().stream().allMatch(t -> t.type() == GgmlType.F32));
            assertTensorsTileTheDataSection(f);

            TensorInfo norm = f.tensor("output_norm.weight");
            assertEquals(131072, norm.offset());
            MemorySegment data = f.data(norm);
            float first = data.get(F32_LE, 0);
            assertTrue(Float.isFinite(first) && first != 0, "norm weight " + first);
            GgufFormatException missing = assertThrows(GgufFormatException.class, () -> f.tensor("nope"));
            assertEquals("stories260K.gguf: tensor 'nope' is missing", missing.getMessage());
        }
    }

    @Test
    void tinyllamasV1ReadsAndItsTensorsAreByteIdenticalToTheV3File() throws Exception {
        try (GgufFile v1 = GgufFile.open(SharedModels.require("tinyllamas-stories-260k-f32.gguf"));
             GgufFile v3 = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            assertEquals(1, v1.version());
            assertEquals(48, v1.tensors().size());
            assertEquals(18, v1.metadata().entries().size());
            assertEquals(11456, v1.dataStart());
            GgufMetadata md = v1.metadata();
            assertEquals("tinyllamas-stories-260k", md.string("general.name"));
            assertEquals(512, md.integer("llama.context_length"));
            assertEquals("Meta AI original pth", md.string("llama.tensor_data_layout"));
            assertEquals(0, md.integer("tokenizer.ggml.padding_token_id"));
            assertFalse(md.has("tokenizer.ggml.unknown_token_id"));
            assertArrayEquals(v3.metadata().strings("tokenizer.ggml.tokens"), md.strings("tokenizer.ggml.tokens"));
            assertArrayEquals(v3.metadata().floats("tokenizer.ggml.scores"), md.floats("tokenizer.ggml.scores"));
            assertTensorsTileTheDataSection(v1);

            for (TensorInfo t : v1.tensors()) {
                TensorInfo other = v3.tensor(t.name());
                assertArrayEquals(other.dims(), t.dims(), t.name());
                assertEquals(other.type(), t.type(), t.name());
                assertEquals(-1L, v1.data(t).mismatch(v3.data(other)), t.name() + " differs");
            }
        }
    }

    @Test
    void llama2TinyRandomHasF16Matrices() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("llama-2-tiny-random.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(12, f.tensors().size());
            assertEquals(18, f.metadata().entries().size());
            assertEquals(724416, f.dataStart());
            assertEquals("LLaMA v2", f.metadata().string("general.name"));
            assertEquals(1, f.metadata().integer("general.file_type"));
            assertEquals(32000, f.metadata().strings("tokenizer.ggml.tokens").length);
            assertEquals(9, f.tensors().stream().filter(t -> t.type() == GgmlType.F16).count());
            assertEquals(3, f.tensors().stream().filter(t -> t.type() == GgmlType.F32).count());
            TensorInfo embd = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {8, 32000}, embd.dims());
            assertEquals(8L * 32000 * 2, embd.byteSize());
            assertTensorsTileTheDataSection(f);
        }
    }
}
