package dev.shoal.actors;

import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.quant.GgmlType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * llama.cpp's names for {@code general.file_type} (its {@code llama_ftype} enum: 4-6 and 33-35 are retired), and
 * the fallback for files that do not say: the type most 2-D tensors (the weight matrices) have.
 */
final class FileTypes {

    private static final Map<Long, String> NAMES = Map.ofEntries(
            Map.entry(0L, "F32"), Map.entry(1L, "F16"), Map.entry(2L, "Q4_0"), Map.entry(3L, "Q4_1"),
            Map.entry(7L, "Q8_0"), Map.entry(8L, "Q5_0"), Map.entry(9L, "Q5_1"), Map.entry(10L, "Q2_K"),
            Map.entry(11L, "Q3_K_S"), Map.entry(12L, "Q3_K_M"), Map.entry(13L, "Q3_K_L"), Map.entry(14L, "Q4_K_S"),
            Map.entry(15L, "Q4_K_M"), Map.entry(16L, "Q5_K_S"), Map.entry(17L, "Q5_K_M"), Map.entry(18L, "Q6_K"),
            Map.entry(19L, "IQ2_XXS"), Map.entry(20L, "IQ2_XS"), Map.entry(21L, "Q2_K_S"), Map.entry(22L, "IQ3_XS"),
            Map.entry(23L, "IQ3_XXS"), Map.entry(24L, "IQ1_S"), Map.entry(25L, "IQ4_NL"), Map.entry(26L, "IQ3_S"),
            Map.entry(27L, "IQ3_M"), Map.entry(28L, "IQ2_S"), Map.entry(29L, "IQ2_M"), Map.entry(30L, "IQ4_XS"),
            Map.entry(31L, "IQ1_M"), Map.entry(32L, "BF16"), Map.entry(36L, "TQ1_0"), Map.entry(37L, "TQ2_0"));

    private FileTypes() {
    }

    /** The llama.cpp name of a {@code general.file_type} value, if it is one. */
    static Optional<String> name(long fileType) {
        return Optional.ofNullable(NAMES.get(fileType));
    }

    /**
     * The type most 2-D tensors have (ties go to the type holding more elements), or empty when there are none.
     */
    static Optional<GgmlType> dominantMatrixType(List<TensorInfo> tensors) {
        Map<GgmlType, long[]> countAndElements = new EnumMap<>(GgmlType.class);
        for (TensorInfo t : tensors) {
            if (t.rank() == 2) {
                long[] c = countAndElements.computeIfAbsent(t.type(), k -> new long[2]);
                c[0]++;
                c[1] += t.elementCount();
            }
        }
        return countAndElements.entrySet().stream()
                .max((a, b) -> a.getValue()[0] != b.getValue()[0] ? Long.compare(a.getValue()[0], b.getValue()[0])
                        : Long.compare(a.getValue()[1], b.getValue()[1]))
                .map(Map.Entry::getKey);
    }
}
