package dev.shoal.tensor.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.quant.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-made headers with one specific defect each, and the exact message the reader gives. Offsets in the
 * messages follow from the layout: a v3 header is 24 bytes (magic, version, u64 tensor count, u64 KV count),
 * a string is a u64 length plus its bytes.
 */
class GgufMalformedHeaderTest {

    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private Path file(byte[] bytes) throws Exception {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        return p;
    }

    private String rejection(byte[] bytes) throws Exception {
        Path p = file(bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        return e.getMessage();
    }

    private GgufFile opens(byte[] bytes) throws Exception {
        return GgufFile.open(file(bytes));
    }

    /** One F32 tensor of 8 elements with its 32 bytes of data. */
    private static GgufBytes withData(GgufBytes b) {
        return b.pad(32).zeros(32);
    }

    @Test
    void tooShortAndBadMagic() throws Exception {
        assertEquals("bad.gguf: file is 0 bytes, too short for a GGUF header (at byte 0)", rejection(new byte[0]));
        assertEquals("bad.gguf: file is 7 bytes, too short for a GGUF header (at byte 0)", rejection("GGUF\3\0\0".getBytes()));
        byte[] b = GgufBytes.header(3, 0, 0).bytes();
        b[3] = 'X';
        assertEquals("bad.gguf: not a GGUF file: magic is 0x58554747, expected 0x46554747 (\"GGUF\") (at byte 0)",
                rejection(b));
    }

    @Test
    void versions() throws Exception {
        byte[] bigEndian = GgufBytes.header(3, 0, 0).bytes();
        bigEndian[4] = 0;
        bigEndian[7] = 3;
        assertEquals("bad.gguf: big-endian GGUF is not supported (at byte 4)", rejection(bigEndian));
        assertEquals("bad.gguf: GGUF version 4 is not supported (1, 2 and 3 are) (at byte 4)",
                rejection(GgufBytes.header(4, 0, 0).bytes()));
        assertEquals("bad.gguf: GGUF version 0 is not supported (1, 2 and 3 are) (at byte 4)",
                rejection(GgufBytes.header(0, 0, 0).bytes()));
        for (int v = 1; v <= 3; v++) {
            try (GgufFile f = opens(withData(GgufBytes.header(v, 1, 1).kvU32("k", 5).tensor("t", new long[] {8}, F32, 0)).bytes())) {
                assertEquals(v, f.version());
                assertEquals(5, f.metadata().integer("k"));
                assertEquals(8, f.tensor("t").elementCount());
            }
        }
    }

    @Test
    void unknownValueTypes() throws Exception {
        // key "k" ends at 24 + 8 + 1 = 33, where its type sits
        assertEquals("bad.gguf: metadata 'k' has unknown value type 13 (at byte 33)",
                rejection(GgufBytes.header(3, 0, 1).str("k").u32(13).u32(0).bytes()));
        // key "arr": type ARRAY at 35, element type at 39
        assertEquals("bad.gguf: array 'arr' has unknown element type 99 (at byte 39)",
                rejection(GgufBytes.header(3, 0, 1).str("arr").u32(9).u32(99).u64(0).bytes()));
    }

    @Test
    void tensorTypeAndShapeDefects() throws Exception {
        // tensor "t": name to 33, dimension count to 37, one u64 dim to 45, type at 45
        assertEquals("bad.gguf: tensor 't' has unknown type id 4 (at byte 45)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {32}, 4, 0)).bytes()));
        assertEquals("bad.gguf: tensor 't' has unknown type id 99 (at byte 45)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {32}, 99, 0)).bytes()));
        assertEquals("bad.gguf: tensor 't' has 0 dimensions (1 to 4 allowed) (at byte 33)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[0], F32, 0)).bytes()));
        assertEquals("bad.gguf: tensor 't' has 5 dimensions (1 to 4 allowed) (at byte 33)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {1, 1, 1, 1, 8}, F32, 0)).bytes()));
        assertEquals("bad.gguf: tensor 't' has dimension 1 = 0 (at byte 45)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {8, 0}, F32, 0)).bytes()));
        // two dims: type at 53
        assertEquals("bad.gguf: tensor 't' of type Q4_0 has row length 33, not a multiple of its block size 32 (at byte 53)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {33, 2}, GgmlType.Q4_0.id(), 0)).bytes()));
    }

    @Test
    void offsetsAndExtents() throws Exception {
        // offset at 49
        assertEquals("bad.gguf: tensor 't' has data offset 16, not a multiple of the alignment 32 (at byte 49)",
                rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {8}, F32, 16)).bytes()));
        // header 57 bytes, data section at 64, 32 bytes needed, file ends at 64
        assertEquals("bad.gguf: tensor 't' (F32 [8]) needs bytes up to 96 but the file has 64 bytes"
                        + " — the file is truncated or corrupt",
                rejection(GgufBytes.header(3, 1, 0).tensor("t", new long[] {8}, F32, 0).pad(32).bytes()));
        // an offset near 2^63 must not wrap around into the file
        String wrapped = rejection(withData(GgufBytes.header(3, 1, 0).tensor("t", new long[] {8}, F32, Long.MAX_VALUE - 31)).bytes());
        assertTrue(wrapped.startsWith("bad.gguf: tensor 't' (F32 [8]) needs bytes up to ")
                && wrapped.endsWith("but the file has 96 bytes — the file is truncated or corrupt"), wrapped);
    }

    @Test
    void duplicates() throws Exception {
        // the second KV starts after 24 + (8 + 1 + 4 + 4)
        assertEquals("bad.gguf: duplicate metadata key 'k' (at byte 41)",
                rejection(GgufBytes.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).bytes()));
        // the second tensor info starts after 24 + (8 + 1 + 4 + 8 + 4 + 8)
        assertEquals("bad.gguf: duplicate tensor name 't' (at byte 57)",
                rejection(GgufBytes.header(3, 2, 0).tensor("t", new long[] {8}, F32, 0)
                        .tensor("t", new long[] {8}, F32, 32).pad(32).zeros(64).bytes()));
    }

    @Test
    void alignmentKey() throws Exception {
        assertEquals("bad.gguf: general.alignment 48 is not a power of two between 1 and 1 MiB",
                rejection(GgufBytes.header(3, 0, 1).kvU32("general.alignment", 48).bytes()));
        assertEquals("bad.gguf: general.alignment 0 is not a power of two between 1 and 1 MiB",
                rejection(GgufBytes.header(3, 0, 1).kvU32("general.alignment", 0).bytes()));
        assertEquals("bad.gguf: general.alignment must be an integer",
                rejection(GgufBytes.header(3, 0, 1).kvString("general.alignment", "32").bytes()));
        try (GgufFile f = opens(GgufBytes.header(3, 1, 1).kvU32("general.alignment", 64)
                .tensor("t", new long[] {8}, F32, 0).pad(64).zeros(32).bytes())) {
            assertEquals(64, f.alignment());
            assertEquals(128, f.dataStart());
        }
    }

    @Test
    void impossibleCountsAndLengths() throws Exception {
        assertEquals("bad.gguf: metadata count 1099511627776 is impossible for a file of 24 bytes — corrupt header (at byte 24)",
                rejection(GgufBytes.header(3, 0, 1L << 40).bytes()));
        assertEquals("bad.gguf: tensor count is 9223372036854775808, impossible (at byte 8)",
                rejection(GgufBytes.header(3, Long.MIN_VALUE, 0).bytes()));
        assertEquals("bad.gguf: metadata key #0 claims 1000 bytes but only 4 remain — truncated or corrupt (at byte 24)",
                rejection(GgufBytes.header(3, 0, 1).u64(1000).u32(0).bytes()));
        // key "a" (33), type (37), element type (41), count at 41..49, then 8 bytes: room for 2 INT32, not 3
        assertEquals("bad.gguf: array 'a' claims 3 elements of INT32 but only 8 bytes remain — truncated or corrupt (at byte 37)",
                rejection(GgufBytes.header(3, 0, 1).str("a").u32(9).u32(GgufValueType.INT32.id()).u64(3).u64(0).bytes()));
        assertEquals("bad.gguf: file ends while reading value of 'k' (needs 4 bytes, 2 left) — truncated or corrupt (at byte 37)",
                rejection(GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.UINT32.id()).u8(1).u8(2).bytes()));
    }

    @Test
    void nestingIsBounded() throws Exception {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id());
        for (int level = 0; level < 8; level++) {
            b.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        b.u32(GgufValueType.INT32.id()).u64(0).zeros(64);
        String m = rejection(b.bytes());
        assertEquals("bad.gguf: array 'k[0][0][0][0][0]' nests too deeply (at byte 97)", m);
    }

    @Test
    void v1FilesOfManyTinyKeysAreNotMistakenForCorruptOnes() throws Exception {
        // v1 KV: u32 key length + 1-byte key + u32 type + u8 value = 10 bytes, below the 13 of a minimal v3 KV
        GgufBytes b = GgufBytes.header(1, 0, 94);
        for (char c = '!'; c <= '~'; c++) {
            b.str(String.valueOf(c)).u32(GgufValueType.UINT8.id()).u8(c);
        }
        try (GgufFile f = opens(b.bytes())) {
            assertEquals(94, f.metadata().entries().size());
            assertEquals('~', f.metadata().integer("~"));
        }
    }
}
