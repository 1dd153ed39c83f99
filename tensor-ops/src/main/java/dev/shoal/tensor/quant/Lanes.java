package dev.shoal.tensor.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, fixed once per JVM so that C2 folds them as constants (a species held in
 * an instance field defeats the intrinsics).
 *
 * <p>Quantized bytes are decoded in groups of {@link #G} = max(8, {@link #L}) lanes, because 8 is the narrowest
 * byte vector: at 128 bits one group of 8 bytes widens into {@link #PARTS} = 2 float vectors of 4, at 256 bits
 * into one of 8, at 512 bits a group of 16 bytes into one of 16. Every block layout here is made of runs of 16 or
 * 32 consecutive elements, so a group never straddles a run.
 */
final class Lanes {

    /** Test hook: {@code -Dshoal.quant.vectorBits=128|256|512} forces a width; absent = preferred, capped at 256. */
    static final String WIDTH_PROPERTY = "shoal.quant.vectorBits";

    static final VectorSpecies<Float> F = floatSpecies(Integer.getInteger(WIDTH_PROPERTY, 0));
    static final int L = F.length();
    static final int G = Math.max(8, L);
    static final int PARTS = G / L;
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * G));
    /** Shorts, one per byte of a group: wide enough to hold a 16-bit slice of a bit mask per group. */
    static final VectorSpecies<Short> SG = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * G));
    /** Shorts and ints with one lane per float lane, to widen f16/bf16 rows. */
    static final VectorSpecies<Short> SL = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Eight floats, whatever the width: the eight sub-blocks of a K-quant super-block, one per lane. */
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /**
     * Whether the 16-bit integer decode bodies run (Q8_0's, Q4_0's, Q4_K's and Q6_K's quantized dot products and the
     * repacked layouts, {@link RowGroups}): they are written for 256-bit vectors, so exactly when {@link #F} is 256
     * bits wide.
     */
    static final boolean INT16 = L == 8;

    /** Lane i holds 1 << i, to test bit i of a mask broadcast to every lane. */
    private static final ShortVector LANE_BITS = laneBits();

    private Lanes() {
    }

    /**
     * The width of every vector loop in the JVM ({@link QuantKernels#floatSpecies}): forced by
     * {@link #WIDTH_PROPERTY}, else the preferred one capped at 256 bits. On AVX-512 (measured on a Zen 4, whose
     * 512-bit instructions are two 256-bit halves) the 256-bit 16-bit-integer decode bodies beat the 512-bit float
     * ones by far: a 1B model generates 6.1 → 11.7 tok/s (Q8_0), 6.3 → 8.7 (Q4_K) on one core and 12.8 → 19.6,
     * 12.2 → 16.5 on two; prompts lose the 512-bit prefill tiles (−19 to −33 % on one core, −16 % to +9 % on two).
     * Everything at one width, because a 512-bit model loop beside 256-bit kernels boxed vectors in some JVMs
     * (see {@code QuantKernels.floatSpecies}).
     */
    private static VectorSpecies<Float> floatSpecies(int bits) {
        if (bits == 0) {
            bits = Math.clamp(FloatVector.SPECIES_PREFERRED.vectorBitSize(), 128, 256);
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException(WIDTH_PROPERTY + " must be 128, 256 or 512, got " + bits);
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    private static ShortVector laneBits() {
        short[] bits = new short[G];
        for (int i = 0; i < G; i++) {
            bits[i] = (short) (1 << i);
        }
        return ShortVector.fromArray(SG, bits, 0);
    }

    /** Part {@code p} of a byte group widened to floats (lanes {@code p*L .. p*L+L-1}). */
    static FloatVector toFloats(ByteVector v, int p) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, p);
    }

    /** Part {@code p} of a byte group zero-extended to ints (lanes {@code p*L .. p*L+L-1}): bytes read as 0..255. */
    static IntVector toInts(ByteVector v, int p) {
        return (IntVector) v.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
    }

    /** Bits 0-3 of each int lane (a zero-extended byte), as floats. */
    static FloatVector lowNibbles(IntVector v) {
        return (FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0);
    }

    /** Bits 4-7 of each int lane holding a zero-extended byte (so nothing above them to mask), as floats. */
    static FloatVector highNibbles(IntVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0);
    }

    /**
     * Bytes shifted right by {@code n} within 32-bit lanes: x86 has no byte shifts, so a byte-lane shift costs a
     * widen/shift/narrow, and C2 gives 16-bit shifts a register count moved in afresh each time but int shifts an
     * immediate. Each byte also receives the low {@code n} bits of its upper neighbour in its top bits; callers
     * mask those off.
     */
    static ByteVector shr(ByteVector v, int n) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes();
    }

    /** Bytes shifted left by {@code n} within 32-bit lanes; the bottom {@code n} bits of each byte are junk. */
    static ByteVector shl(ByteVector v, int n) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHL, n).reinterpretAsBytes();
    }

    /** Mask of the lanes {@code i} of a group for which bit {@code i} of {@code bits} is set. */
    static VectorMask<Byte> bitsSet(int bits) {
        return ShortVector.broadcast(SG, (short) bits).and(LANE_BITS).compare(VectorOperators.NE, 0).cast(B);
    }

    /** Mask of the lanes {@code i} of a group for which bit {@code i} of {@code bits} is clear. */
    static VectorMask<Byte> bitsClear(int bits) {
        return ShortVector.broadcast(SG, (short) bits).and(LANE_BITS).compare(VectorOperators.EQ, 0).cast(B);
    }
}
