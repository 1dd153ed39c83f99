package dev.shoal.tensor.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.sample.StopStrings.Emit;
import dev.shoal.tensor.sample.StopStrings.Step;
import dev.shoal.tensor.sample.StopStrings.Stopped;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void stopAcrossAPieceBoundary() {
        StopStrings s = new StopStrings(List.of("\nUser:"));
        assertEquals(new Emit("Hel"), s.accept("Hel"));
        assertEquals(new Stopped("lo", "\nUser:"), s.accept("lo\nUser:"));
        assertTrue(s.stopped());
    }

    @Test
    void aPossibleStartIsHeldBackUntilSettled() {
        StopStrings s = new StopStrings(List.of("\nUser:"));
        assertEquals(new Emit("Hello"), s.accept("Hello\nUs"));
        assertEquals(new Stopped("", "\nUser:"), s.accept("er: hi"));

        StopStrings t = new StopStrings(List.of("\nUser:"));
        assertEquals(new Emit("Hello"), t.accept("Hello\nUs"));
        assertEquals(new Emit("\nUsually"), t.accept("ually"));
        assertFalse(t.stopped());
    }

    @Test
    void stopFedOneCharacterAtATime() {
        StopStrings s = new StopStrings(List.of("\nUser:"));
        assertEquals(new Emit("ok"), s.accept("ok"));
        for (String c : new String[] {"\n", "U", "s", "e", "r"}) {
            assertEquals(new Emit(""), s.accept(c));
        }
        assertEquals(new Stopped("", "\nUser:"), s.accept(":"));
    }

    @Test
    void stopAtTheVeryStart() {
        StopStrings s = new StopStrings(List.of("\nUser:"));
        assertEquals(new Stopped("", "\nUser:"), s.accept("\nUser: hello"));
    }

    @Test
    void multipleStopsEarliestWinsThenListOrder() {
        StopStrings s = new StopStrings(List.of("###", "\nUser:"));
        assertEquals(new Emit("a"), s.accept("a##"));
        assertEquals(new Stopped("##b", "###"), s.accept("b###c\nUser:"));

        StopStrings earliest = new StopStrings(List.of("lo", "He"));
        assertEquals(new Stopped("", "He"), earliest.accept("Hello"));

        StopStrings tie = new StopStrings(List.of("ab", "abc"));
        assertEquals(new Stopped("x", "ab"), tie.accept("xabc"));
    }

    @Test
    void flushReleasesTheHeldTailAtTheEnd() {
        StopStrings s = new StopStrings(List.of("\nUser:", "</s>"));
        assertEquals(new Emit("abc"), s.accept("abc\nUse"));
        assertEquals("\nUse", s.flush());
        assertEquals("", s.flush());
    }

    @Test
    void noStopsPassesEverythingThrough() {
        StopStrings s = StopStrings.none();
        assertEquals(new Emit("any\nUser: text"), s.accept("any\nUser: text"));
        assertEquals("", s.flush());
    }

    @Test
    void misuseIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("ok", "")));
        StopStrings s = new StopStrings(List.of("x"));
        s.accept("x");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.accept("more"));
        assertTrue(e.getMessage().contains("already hit"));
    }

    /** Whatever the split, emitted text equals the text before the first stop, and nothing is shown early. */
    @Test
    void randomSplitsAgreeWithAReference() {
        SplittableRandom r = new SplittableRandom(21);
        List<String> stops = List.of("aab", "ba\n", "cc", "abab");
        for (int round = 0; round < 3000; round++) {
            StringBuilder text = new StringBuilder();
            int len = r.nextInt(40);
            for (int i = 0; i < len; i++) {
                text.append("abc\nd".charAt(r.nextInt(5)));
            }
            String full = text.toString();
            int first = -1;
            for (String stop : stops) {
                int i = full.indexOf(stop);
                if (i >= 0 && (first < 0 || i < first)) {
                    first = i;
                }
            }
            String expected = first < 0 ? full : full.substring(0, first);

            StopStrings s = new StopStrings(stops);
            StringBuilder shown = new StringBuilder();
            List<String> pieces = new ArrayList<>();
            int at = 0;
            boolean hit = false;
            while (at < full.length() && !hit) {
                int end = Math.min(full.length(), at + 1 + r.nextInt(5));
                String piece = full.substring(at, end);
                pieces.add(piece);
                Step step = s.accept(piece);
                shown.append(step.text());
                hit = step instanceof Stopped;
                at = end;
                // never show text that a later stop could still claim
                assertTrue(expected.startsWith(shown.toString()), "pieces " + pieces + " showed " + shown);
            }
            if (!hit) {
                shown.append(s.flush());
            }
            assertEquals(first >= 0, hit, "pieces " + pieces);
            assertEquals(expected, shown.toString(), "pieces " + pieces);
        }
    }
}
