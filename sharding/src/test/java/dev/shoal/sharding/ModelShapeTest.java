package dev.shoal.sharding;

import static dev.shoal.sharding.Fixtures.llama1b;
import static dev.shoal.sharding.Fixtures.llama70b;
import static dev.shoal.sharding.Fixtures.llama8b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.model.ModelConfig;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.synth.SyntheticShape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelShapeTest {

    @Test
    void shouldReadHyperParametersAndTypesFromAGgufFile() throws IOException {
        try (GgufFile file = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            ModelShape shape = ModelShape.of(file);
            ModelConfig c = ModelConfig.fromGguf(file);
            assertEquals("stories260K.gguf", shape.name());
            assertEquals(5, shape.layers());
            assertEquals(64, shape.dim());
            assertEquals(8, shape.heads());
            assertEquals(4, shape.kvHeads());
            assertEquals(8, shape.headDim());
            assertEquals(172, shape.ffnDim());
            assertEquals(512, shape.vocab());
            assertEquals(c.trainedContext(), shape.context());
            assertEquals(c.tiedEmbeddings(), shape.tiedEmbeddings());
            assertEquals(GgmlType.F32, shape.attnOutputType());
            // an all-F32 file: the engine holds exactly the file's tensors, plus its own copy of tied output rows
            long tensors = file.tensors().stream().filter(t -> !t.name().equals("rope_freqs.weight"))
                    .mapToLong(TensorInfo::byteSize).sum();
            assertEquals(tensors + (shape.tiedEmbeddings() ? shape.embeddingBytes() : 0), shape.weightBytes());
        }
    }

    @Test
    void shouldSeeTheQuantizationTypeOfEveryCutTensor() throws IOException {
        try (GgufFile file = GgufFile.open(SharedModels.require("quant-vectors/quant-pure-Q4_K.gguf"))) {
            ModelShape shape = ModelShape.of(file);
            assertEquals(GgmlType.Q4_K, shape.attnOutputType());
            assertEquals(GgmlType.Q4_K, shape.ffnDownType());
            assertEquals(2, shape.layers());
            assertEquals(2, shape.kvHeads());
            assertEquals(768, shape.ffnDim());
            assertTrue(!shape.tiedEmbeddings());
            long matrices = file.tensors().stream().filter(t -> t.dims().length == 2)
                    .mapToLong(TensorInfo::byteSize).sum();
            long norms = file.tensors().stream().filter(t -> t.dims().length == 1)
                    .mapToLong(t -> t.elementCount() * Float.BYTES).sum();
            assertEquals(matrices + norms, shape.weightBytes());
        }
    }

    @Test
    void shouldMatchTheSyntheticFileOfTheSameShape() {
        // a tiny shape from numbers equals the llama.cpp-made file of the same hyper-parameters, type for type
        SyntheticShape tiny = SyntheticShape.named("tiny");
        ModelShape fromNumbers = ModelShape.synthetic(tiny, GgmlType.Q8_0);
        assertEquals(tiny.layers(), fromNumbers.layers());
        assertEquals(GgmlType.Q8_0, fromNumbers.ffnDownType());
        assertEquals(fromNumbers.layerShapes().get(0), fromNumbers.layerShapes().get(1));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_K", "Q6_K"})
    void shouldCountEveryParameterOfTheBigShapes(GgmlType type) {
        for (SyntheticShape s : List.of(SyntheticShape.named("llama-3.2-1b"), SyntheticShape.named("llama-3.1-8b"),
                Fixtures.LLAMA_70B)) {
            ModelShape m = ModelShape.synthetic(s, type);
            long normParameters = 2L * s.dim() * s.layers() + s.dim();
            long matrixParameters = s.parameters() - normParameters;
            // tied output rows are a second copy on the last stage
            long copies = s.tiedEmbeddings() ? (long) s.vocabSize() * s.dim() : 0;
            long expected = (matrixParameters + copies) / type.blockSize() * type.bytesPerBlock()
                    + normParameters * Float.BYTES;
            assertEquals(expected, m.weightBytes(), s.name() + " " + type);
        }
    }

    @Test
    void shouldGiveTheFamiliarSizes() {
        // 8B Q4_K ≈ 4.2 GiB, 70B Q4_K ≈ 37.0 GiB, 8B F16 ≈ 15.0 GiB (all matrices of one type)
        assertEquals("4.2", Gib.number(llama8b(GgmlType.Q4_K).weightBytes()));
        assertEquals("37.0", Gib.number(llama70b(GgmlType.Q4_K).weightBytes()));
        assertEquals("15.0", Gib.number(llama8b(GgmlType.F16).weightBytes()));
        assertEquals("1.5", Gib.number(llama1b(GgmlType.Q8_0).weightBytes()));
        assertEquals(39_690_993_664L, llama70b(GgmlType.Q4_K).weightBytes());
    }

    @Test
    void shouldCountTheKvCacheOfTheWholeModel() {
        ModelShape m = llama8b(GgmlType.Q4_K);
        MemoryNeed need = RankMemory.of(m, m.wholeSlice(), 8192, 2, 256 * Fixtures.MIB);
        // 2 (K and V) × 32 layers × 8 KV heads × 128 × 8192 tokens × 4 bytes × 2 sequences = 4 GiB
        assertEquals(4 * Fixtures.GIB, need.kvCacheBytes());
        assertEquals(m.weightBytes(), need.weightBytes());
        assertEquals(256 * Fixtures.MIB, need.overheadBytes());
    }

    @Test
    void shouldSumStagesToTheWholeModelPlusTheirOverheads() {
        ModelShape m = llama70b(GgmlType.Q4_K);
        MemoryNeed sum = new MemoryNeed(0, 0, 0);
        for (int[] r : new int[][] {{0, 19}, {19, 40}, {40, 80}}) {
            sum = sum.plus(RankMemory.of(m, m.stageSlice(r[0], r[1]), 4096, 1, 0));
        }
        assertEquals(RankMemory.of(m, m.wholeSlice(), 4096, 1, 0), sum);
    }

    @Test
    void tiedTensorRanksShouldReadTheirOutputFromTheEmbeddingTheyHoldAndLastStagesKeepTheirRows() {
        ModelShape m = llama1b(GgmlType.Q8_0);
        assertTrue(m.tiedEmbeddings());
        long replicatedPerLayer = 2L * m.dim() * Float.BYTES;
        long sum = 0;
        for (var part : TensorSplit.parts(m, 2)) {
            sum += RankMemory.of(m, part, 4096, 1, 0).weightBytes();
        }
        // the layers once, the embedding and the replicated norms on both ranks, no output rows at all
        assertEquals(m.weightBytes() - m.outputBytes() + m.embeddingBytes() + m.outputNormBytes()
                + m.layers() * replicatedPerLayer, sum);
        // a last stage holds no embedding: it keeps its own copy of the output rows
        MemoryNeed last = RankMemory.of(m, m.stageSlice(8, m.layers()), 4096, 1, 0);
        MemoryNeed first = RankMemory.of(m, m.stageSlice(0, 8), 4096, 1, 0);
        assertEquals(m.weightBytes(), first.weightBytes() + last.weightBytes());
    }

    @Test
    void shouldSumTensorRanksToTheWholeLayersWithTheEmbeddingOnEachRank() {
        ModelShape m = llama8b(GgmlType.Q4_K);
        List<MemoryNeed> ranks = new ArrayList<>();
        for (var part : TensorSplit.parts(m, 4)) {
            ranks.add(RankMemory.of(m, part, 4096, 1, 0));
        }
        long weights = ranks.stream().mapToLong(MemoryNeed::weightBytes).sum();
        long kv = ranks.stream().mapToLong(MemoryNeed::kvCacheBytes).sum();
        long replicatedPerLayer = 2L * m.dim() * Float.BYTES;
        long expected = m.weightBytes() + 3 * m.embeddingBytes() + 3 * (m.outputNormBytes()
                + m.layers() * replicatedPerLayer);
        assertEquals(expected, weights);
        assertEquals(RankMemory.of(m, m.wholeSlice(), 4096, 1, 0).kvCacheBytes(), kv);
    }

    @Test
    void shouldRefuseAShapeWhoseTensorsDisagreeWithItsHyperParameters() {
        ModelShape m = llama1b(GgmlType.Q8_0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelShape(m.name(),
                m.layers(), m.dim(), m.heads(), m.kvHeads(), m.headDim(), m.ffnDim() * 2, m.vocab(), m.context(),
                m.layerShapes(), m.tokenEmbedding(), m.output(), m.tiedEmbeddings(), m.outputNormBytes()));
        assertEquals("llama-3.2-1b: blk.0.ffn_gate is 2048 × 8192, the hyper-parameters make it 2048 × 16384",
                e.getMessage());
    }

    @Test
    void shouldRefuseATypeWhoseBlocksDoNotFitTheRows() {
        // stories260K's FFN of 172 is no whole number of 32-element Q8_0 blocks
        SyntheticShape odd = new SyntheticShape("odd", dev.shoal.tensor.model.Architecture.LLAMA, 64, 5, 8, 4, 8,
                172, 512, 512, 10000f, 0, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelShape.synthetic(odd, GgmlType.Q8_0));
        assertEquals("Q8_0 rows are made of 32-element blocks; a row of 172 columns is not", e.getMessage());
    }
}
