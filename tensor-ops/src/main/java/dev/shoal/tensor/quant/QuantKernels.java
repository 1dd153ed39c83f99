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

    /**
     * The float species of every vector loop in this JVM: the preferred width capped at 256 bits, or the one
     * {@code -Dshoal.quant.vectorBits} forces. The kernels and the model's own loops ({@code Ops}) share it: two
     * shapes of one element type in a JVM make the profiles inside the Vector API's shared methods polymorphic, and
     * where C2 then cannot tell a vector's exact class (a value carried round a loop), the intrinsic is given up and
     * the vectors are boxed. Seen with 256-bit kernels beside 512-bit model loops: a Q4_K decode allocating 0.9-150 MB
     * per 50 steps in 2-4 of 15-20 JVMs probed ({@code DecodeAllocationTest}).
     */
    public static jdk.incubator.vector.VectorSpecies<Float> floatSpecies() {
        return Lanes.F;
    }

    public static boolean has(GgmlType type) {
        return KERNELS.containsKey(type);
    }

    static String supportedNames() {
        return KERNELS.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
    }
}
