package dev.shoal.tensor.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shoal.tensor.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged copies of the real model files: every open either succeeds (the damage left a valid file) or throws
 * {@link GgufFormatException} naming the file and saying what and where; never another exception type, never
 * an OutOfMemoryError, never a hang.
 */
class GgufCorruptionTest {

    @TempDir
    Path dir;

    private enum Outcome { OPENED, REJECTED }

    /** Opens {@code p} and touches everything the reader handed out; returns how it went or fails the test. */
    private static Outcome open(Path p, String what) {
        try (GgufFile f = GgufFile.open(p)) {
            for (TensorInfo t : f.tensors()) {
                f.data(t); // every tensor slice must lie inside the mapping
            }
            f.metadata().entries().values().forEach(String::valueOf);
            return Outcome.OPENED;
        } catch (GgufFormatException e) {
            assertNamesFileAndPlace(p, e, what);
            return Outcome.REJECTED;
        } catch (Throwable t) { // OutOfMemoryError, IndexOutOfBounds, NegativeArraySize, IOException, …
            throw new AssertionError(what + ": expected GgufFormatException or success, got " + t, t);
        }
    }

    static void assertNamesFileAndPlace(Path p, GgufFormatException e, String what) {
        String m = e.getMessage();
        String prefix = p.getFileName() + ": ";
        assertTrue(m != null && m.startsWith(prefix) && m.length() > prefix.length() + 10,
                what + ": message should start with the file name: " + m);
        assertTrue(m.contains("(at byte ") || m.contains("tensor '") || m.contains("general.alignment"),
                what + ": message should say where: " + m);
    }

    private static void write(Path p, byte[] all, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(all, 0, length);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** Every cut must be rejected: in these files the last tensor (or the last KV) ends exactly at EOF. */
    private int truncations(String model, long[] cuts) throws IOException {
        byte[] all = Files.readAllBytes(SharedModels.require(model));
        Path p = dir.resolve("cut-" + model.replace('/', '_'));
        for (long cut : cuts) {
            write(p, all, (int) cut);
            Outcome o = open(p, model + " cut at " + cut);
            if (o != Outcome.REJECTED) {
                fail(model + " truncated to " + cut + " of " + all.length + " bytes was accepted");
            }
        }
        return cuts.length;
    }

    private static long[] cuts(long size, long headerEnd, int headerStep, int dataCuts, long seed) {
        var out = new java.util.ArrayList<Long>();
        for (long c = 0; c < Math.min(2000, headerEnd); c++) {
            out.add(c);
        }
        for (long c = 2000; c < headerEnd; c += headerStep) { // then a stride through the rest of the header
            out.add(c);
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < dataCuts; i++) {
            out.add(headerEnd + r.nextLong(size - headerEnd));
        }
        out.add(size - 1);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void truncatedCopiesAreRejected() throws IOException {
        truncations("stories260K.gguf", cuts(1_185_376, 14176, 7, 30, 1));
        truncations("tinyllamas-stories-260k-f32.gguf", cuts(1_182_656, 11456, 13, 15, 2));
        // the Llama-2 header is 724 KB of vocabulary: sample it
        SplittableRandom r = new SplittableRandom(3);
        long[] llama = new long[120];
        for (int i = 0; i < llama.length; i++) {
            llama[i] = i < 100 ? r.nextLong(724_416) : 724_416 + r.nextLong(1_750_560 - 724_416);
        }
        truncations("llama-2-tiny-random.gguf", llama);
        // a vocab-only file (0 tensors) ends with its last KV value
        truncations("llama.cpp-vocab/ggml-vocab-llama-spm.gguf", new long[] {0, 7, 8, 23, 24, 25, 100, 723_868});
    }

    /** Flips bit {@code bit} of byte {@code pos} in place, opens, and restores the byte. */
    private static final class Flipper implements AutoCloseable {
        final Path path;
        final byte[] original;
        final FileChannel ch;
        final ByteBuffer one = ByteBuffer.allocate(1);
        int opened;
        int rejected;

        Flipper(Path dir, String model) throws IOException {
            Path src = SharedModels.require(model);
            this.original = Files.readAllBytes(src);
            this.path = dir.resolve("flipped-" + src.getFileName());
            Files.write(path, original);
            this.ch = FileChannel.open(path, StandardOpenOption.WRITE);
        }

        Outcome flip(int pos, int bit) throws IOException {
            put(pos, (byte) (original[pos] ^ (1 << bit)));
            try {
                Outcome o = open(path, "bit " + bit + " of byte " + pos);
                if (o == Outcome.OPENED) {
                    opened++;
                } else {
                    rejected++;
                }
                return o;
            } finally {
                put(pos, original[pos]);
            }
        }

        private void put(int pos, byte b) throws IOException {
            one.clear();
            one.put(0, b);
            ch.write(one, pos);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyBitOfTheFirst2KiBAndASampleOfTheRestOfTheHeader() throws IOException {
        try (Flipper f = new Flipper(dir, "stories260K.gguf")) {
            // the fixed header, the first KV's key and array header, and ~200 token strings with their lengths
            for (int pos = 0; pos < 2048; pos++) {
                for (int bit = 0; bit < 8; bit++) {
                    Outcome o = f.flip(pos, bit);
                    if (pos < 8) {
                        // version 3 -> 2 keeps the layout (v3 only added big-endian files); every other flip here is fatal
                        Outcome expected = pos == 4 && bit == 0 ? Outcome.OPENED : Outcome.REJECTED;
                        assertEquals(expected, o, "magic/version flip at " + pos + "." + bit);
                    }
                }
            }
            // the rest of the header: token strings, scores, types and all 48 tensor infos
            SplittableRandom r = new SplittableRandom(42);
            for (int i = 0; i < 5000; i++) {
                f.flip(2048 + r.nextInt(14176 - 2048), r.nextInt(8));
            }
            // both outcomes occur: flips inside token text stay valid, flips in lengths and counts do not
            assertTrue(f.opened > 500, "opened " + f.opened);
            assertTrue(f.rejected > 500, "rejected " + f.rejected);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sampledFlipsInOtherHeaders() throws IOException {
        try (Flipper f = new Flipper(dir, "tinyllamas-stories-260k-f32.gguf")) {
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < 3000; i++) {
                f.flip(r.nextInt(11456), r.nextInt(8));
            }
            assertTrue(f.opened > 0 && f.rejected > 0, f.opened + " opened, " + f.rejected + " rejected");
        }
        try (Flipper f = new Flipper(dir, "llama-2-tiny-random.gguf")) {
            SplittableRandom r = new SplittableRandom(8);
            for (int pos = 0; pos < 32; pos++) {
                for (int bit = 0; bit < 8; bit++) {
                    f.flip(pos, bit);
                }
            }
            for (int i = 0; i < 150; i++) {
                f.flip(r.nextInt(724_416), r.nextInt(8));
            }
            assertTrue(f.opened > 0 && f.rejected > 0, f.opened + " opened, " + f.rejected + " rejected");
        }
    }
}
