package dev.shoal.tensor.quant;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Shared data for the kernel tests: the reference files, random rows and raw blocks with edge-case scales. */
final class QuantFixtures {

    /** Every type with kernels besides F32, in the order of the quant-vectors README. */
    static final List<GgmlType> TYPES = List.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /** The two tensors the README ships dequantized values for: tensor name, file suffix. */
    static final List<String[]> TENSORS = List.of(
            new String[] {"blk.0.attn_q.weight", "attn_q"},
            new String[] {"blk.1.ffn_down.weight", "ffn_down"});

    /** f16 values for the scale fields of random raw blocks: zeros, subnormals, negatives, the f16 extremes. */
    static final float[] EDGE_SCALES = {0f, -0f, 0x1p-24f, -0x1p-24f, 0x1p-14f, 1f, -1f, 0.01f, -0.003f, 65504f,
        -65504f, 0.5f};

    private static final java.lang.foreign.ValueLayout.OfFloat F32 =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private QuantFixtures() {
    }

    static QuantKernel kernel(GgmlType t) {
        return QuantKernels.forType(t, "test");
    }

    static Path quantVectors(String name) {
        return dev.shoal.tensor.SharedModels.dir().resolve("quant-vectors").resolve(name);
    }

    static String fileName(GgmlType t) {
        return t == GgmlType.F32 ? "quant-base-f32" : "quant-pure-" + t;
    }

    static float[] readF32(Path p) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor's rows as one segment plus geometry. */
    record Matrix(GgmlType type, MemorySegment data, int rowLength, int rows) {
        long rowBytes() {
            return type.bytesFor(rowLength);
        }

        static Matrix of(GgufFile f, String name) {
            TensorInfo info = f.tensor(name);
            int rowLength = (int) info.dims()[0];
            return new Matrix(info.type(), f.data(info), rowLength, (int) (info.elementCount() / rowLength));
        }

        float[] dequantizeRows() {
            QuantKernel k = kernel(type);
            float[] out = new float[rowLength * rows];
            for (int r = 0; r < rows; r++) {
                k.dequantize(data, r * rowBytes(), out, r * rowLength, rowLength);
            }
            return out;
        }
    }

    static float[] gaussian(SplittableRandom rnd, int n, double sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gauss(rnd) * sigma);
        }
        return v;
    }

    static double gauss(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** Offsets of the f16 scale fields inside one block. */
    static int[] f16Fields(GgmlType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
    }

    /**
     * {@code blocks} blocks of random bytes at byte {@code offset} of a fresh segment, so every nibble, high bit,
     * 6-bit scale/min and int8 scale pattern occurs; the f16 scales come from {@link #EDGE_SCALES}. F16/BF16
     * elements are random finite bit patterns (bf16 below 2^64), F32 elements gaussian over exponents 2^-140 (subnormal) to 2^60.
     */
    static MemorySegment randomBlocks(Arena arena, SplittableRandom rnd, GgmlType t, int blocks, long offset) {
        long bytes = (long) blocks * t.bytesPerBlock();
        MemorySegment seg = arena.allocate(offset + bytes + 64, 1);
        for (long i = 0; i < bytes; i++) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + i, (byte) rnd.nextInt());
        }
        if (t == GgmlType.F32) {
            for (long i = 0; i < bytes; i += 4) {
                seg.set(F32, offset + i, (float) (gauss(rnd) * Math.scalb(1.0, rnd.nextInt(-140, 60))));
            }
        }
        if (t == GgmlType.F16 || t == GgmlType.BF16) {
            for (long i = 0; i < bytes; i += 2) {
                short h = (short) rnd.nextInt();
                if (t == GgmlType.F16 && ((h >> 10) & 0x1F) == 0x1F) {
                    h ^= 0x4000; // Inf/NaN -> finite: clear the top exponent bit
                }
                if (t == GgmlType.BF16 && ((h >> 7) & 0xFF) >= 0xC0) {
                    h ^= 0x2000; // keep |v| < 2^64 so that sums cannot overflow
                }
                seg.set(BlockIo.I16, offset + i, h);
            }
        }
        for (int b = 0; b < blocks; b++) {
            for (int field : f16Fields(t)) {
                float v = EDGE_SCALES[rnd.nextInt(EDGE_SCALES.length)];
                BlockIo.putF16(seg, offset + (long) b * t.bytesPerBlock() + field, v);
            }
        }
        return seg;
    }

    /** Normalized MSE: Σ(a-b)² / Σb². */
    static double nmse(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return den == 0 ? num : num / den;
    }
}
