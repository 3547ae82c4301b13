package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The word-at-a-time string skip against Jackson's own, side by side: on strings of every kind of
 * byte (plain runs of every length around a word, quotes, escapes valid and not, control characters,
 * UTF-8 sequences valid, truncated and stray), from memory and from a stream handing out a few bytes
 * at a time (so that words and sequences straddle buffer refills), both parsers must give the same
 * tokens, the same byte offsets, and fail at the same place with the same message.
 */
class WordSkippingParserTest {
    private static final String[] PIECES = {
        "a", "Z", " ", "~", "\u007f", "0123456789abcdef", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00", "\\uD800",
        "é", "€", "😀", "中文", "\\x", "\\u12g4", "\\", "\t", "\u0001", "\u0000",
    };
    private static final byte[][] RAW = {
        {(byte) 0xC3}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
        {(byte) 0xC3, 0x41}, {(byte) 0xF8, (byte) 0x80},
    };

    @Test
    void notPlainMarksExactlyTheFirstByteThatIsNotPlain() {
        Random r = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            byte[] w = new byte[8];
            for (int j = 0; j < 8; j++) {
                w[j] = r.nextInt(4) == 0 ? (byte) r.nextInt(256) : (byte) (0x20 + r.nextInt(0x60));
            }
            long word = 0;
            for (int j = 7; j >= 0; j--) word = (word << 8) | (w[j] & 0xFF);
            int expected = 8;
            for (int j = 0; j < 8; j++) {
                int b = w[j] & 0xFF;
                if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') {
                    expected = j;
                    break;
                }
            }
            long special = WordSkippingParser.notPlain(word);
            assertEquals(expected, special == 0 ? 8 : Long.numberOfTrailingZeros(special) >>> 3, () -> java.util.Arrays.toString(w));
        }
    }

    @Test
    void skipsAndRefusesAsJacksonDoes() throws IOException {
        JsonFactory ours = PythonJson.factory(false);
        JsonFactory jacksons = PythonJson.factory(false, UTF8StreamJsonParser::new);
        Random r = new Random(17);
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] doc = document(r);
            int chunk = 1 + r.nextInt(13);
            String fromMemory = walk(jacksons.createParser(doc, 0, doc.length));
            assertEquals(fromMemory, walk(ours.createParser(doc, 0, doc.length)), () -> new String(doc, StandardCharsets.ISO_8859_1));
            String fromStream = walk(jacksons.createParser(new Trickle(doc, chunk)));
            assertEquals(fromStream, walk(ours.createParser(new Trickle(doc, chunk))), () -> new String(doc, StandardCharsets.ISO_8859_1));
            if (fromMemory.contains("refused")) refused++;
        }
        assertTrue(refused > 2_000 && refused < 18_000, "the documents should be both accepted and refused often: " + refused);
    }

    /** An array of strings, each a random mix of pieces; some unterminated. */
    private static byte[] document(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("[".getBytes(StandardCharsets.UTF_8));
        int strings = 1 + r.nextInt(4);
        for (int s = 0; s < strings; s++) {
            if (s > 0) out.write(',');
            out.write('"');
            int pieces = r.nextInt(12);
            for (int p = 0; p < pieces; p++) {
                int k = r.nextInt(10);
                if (k < 5) {
                    // plain runs of every length around a word
                    int n = r.nextInt(20);
                    for (int j = 0; j < n; j++) {
                        int ch = 0x20 + r.nextInt(0x60);
                        out.write(ch == '"' || ch == '\\' ? 'q' : ch);
                    }
                } else if (k < 9) {
                    String piece = PIECES[r.nextInt(PIECES.length)];
                    if (r.nextInt(8) != 0 && (piece.startsWith("\\x") || piece.startsWith("\\u12g") || piece.equals("\\")
                        || piece.charAt(0) < 0x20)) continue;   // keep most documents valid
                    out.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
                } else if (r.nextInt(6) == 0) {
                    out.writeBytes(RAW[r.nextInt(RAW.length)]);
                }
            }
            if (r.nextInt(40) != 0) out.write('"');
        }
        out.writeBytes(r.nextInt(40) == 0 ? new byte[0] : "]".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** The tokens (strings skipped, never read) with their offsets, and the refusal if any. */
    private static String walk(JsonParser p) {
        List<String> seen = new ArrayList<>();
        try (p) {
            JsonToken t;
            while ((t = p.nextToken()) != null) seen.add(t + "@" + p.currentTokenLocation().getByteOffset());
            seen.add("end@" + p.currentLocation().getByteOffset());
        } catch (IOException e) {
            seen.add("refused: " + e.getMessage().replaceAll("(?s)\n.*", ""));
        }
        return String.join(" ", seen);
    }

    /** A stream handing out at most {@code chunk} bytes per read. */
    private static final class Trickle extends InputStream {
        private final byte[] data;
        private final int chunk;
        private int pos;

        Trickle(byte[] data, int chunk) {
            this.data = data;
            this.chunk = chunk;
        }

        @Override public int read() {
            return pos < data.length ? data[pos++] & 0xFF : -1;
        }

        @Override public int read(byte[] b, int off, int len) {
            if (pos >= data.length) return -1;
            int n = Math.min(Math.min(len, chunk), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
