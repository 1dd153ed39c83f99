package dev.shoal.tensor.tokenizer;

/**
 * An incremental UTF-8 decoder: bytes go in one at a time, characters come out as soon as they are complete.
 * A character's bytes may be spread over several tokens (SentencePiece {@code <0xE2>} byte tokens, byte-level BPE
 * pieces that end mid-character), so a partial sequence is held until it completes or proves invalid.
 *
 * <p>Ill-formed input becomes U+FFFD once per maximal subpart (the Unicode / WHATWG rule): a valid prefix cut
 * short by a byte that cannot continue it is one U+FFFD, and that byte starts afresh. Because the state carries
 * across calls, decoding a byte stream in any chunking gives the same text as decoding it whole.
 */
final class Utf8Decoder {

    private int needed;   // length of the sequence in progress, 0 when none
    private int seen;     // bytes of it consumed so far
    private int codePoint;
    private int lower = 0x80;  // allowed range of the next continuation byte (narrower after E0, ED, F0, F4)
    private int upper = 0xBF;

    void accept(int b, StringBuilder out) {
        b &= 0xFF;
        if (needed > 0) {
            if (b >= lower && b <= upper) {
                codePoint = codePoint << 6 | (b & 0x3F);
                lower = 0x80;
                upper = 0xBF;
                if (++seen == needed) {
                    out.appendCodePoint(codePoint);
                    needed = 0;
                }
                return;
            }
            out.append('\uFFFD');
            needed = 0;
            lower = 0x80;
            upper = 0xBF;
        }
        if (b < 0x80) {
            out.append((char) b);
        } else if (b >= 0xC2 && b <= 0xDF) {
            start(2, b & 0x1F);
        } else if (b >= 0xE0 && b <= 0xEF) {
            start(3, b & 0x0F);
            if (b == 0xE0) {
                lower = 0xA0; // no overlong forms
            } else if (b == 0xED) {
                upper = 0x9F; // no surrogates
            }
        } else if (b >= 0xF0 && b <= 0xF4) {
            start(4, b & 0x07);
            if (b == 0xF0) {
                lower = 0x90;
            } else if (b == 0xF4) {
                upper = 0x8F; // nothing above U+10FFFF
            }
        } else {
            out.append('\uFFFD'); // stray continuation byte, C0/C1, F5..FF
        }
    }

    private void start(int length, int bits) {
        needed = length;
        seen = 1;
        codePoint = bits;
    }

    /** Ends the stream: a sequence still incomplete becomes one U+FFFD. */
    void finish(StringBuilder out) {
        if (needed > 0) {
            out.append('\uFFFD');
            needed = 0;
            lower = 0x80;
            upper = 0xBF;
        }
    }

    static String decode(byte[] bytes) {
        Utf8Decoder d = new Utf8Decoder();
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            d.accept(b, sb);
        }
        d.finish(sb);
        return sb.toString();
    }
}
