package dev.shoal.tensor.quant;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/** The kernel for each supported {@link GgmlType}. */
public final class QuantKernels {

    private static final Map<GgmlType, QuantKernel> KERNELS = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Kernel());
        register(new F16Kernel());
        register(new BF16Kernel());
        register(new Q8_0Kernel());
        register(new Q4_0Kernel());
        register(new Q4_1Kernel());
        register(new Q5_0Kernel());
        register(new Q5_1Kernel());
        register(new Q4_KKernel());
        register(new Q5_KKernel());
        register(new Q6_KKernel());
    }

    private QuantKernels() {
    }

    private static void register(QuantKernel k) {
        KERNELS.put(k.type(), k);
    }

    /** The kernel for {@code type}; {@code tensorName} goes into the error when there is none. */
    public static QuantKernel forType(GgmlType type, String tensorName) {
        QuantKernel k = KERNELS.get(type);
        if (k == null) {
            throw new UnsupportedTensorTypeException(tensorName, type);
        }
        return k;
    }

    public static boolean has(GgmlType type) {
        return KERNELS.containsKey(type);
    }

    static String supportedNames() {
        return KERNELS.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
    }
}
