package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
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
    void theFieldNameTableCanBeBounded() {
        // Jackson's table keeps every distinct name: without this a document of long keys holds twice its size (HugeDocumentTest)
        assertTrue(WordSkippingParser.boundsNames(), "this Jackson's ByteQuadsCanonicalizer lacks what WordSkippingParser uses to empty it");
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

    /**
     * What ends a plain run (the end quote, each escape valid or not, control characters, DEL, UTF-8
     * sequences of 2, 3 and 4 bytes, truncated, overlong, surrogates, beyond U+10FFFF, stray bytes),
     * each with plain bytes before it of every length around a word, and of every length that puts it
     * across the end of the parser's 8000-byte buffer (once and twice refilled); the string closed
     * after it, ending the input exactly, or not closed at all. Read from memory (also from the middle
     * of a larger array whose next bytes would close the string), from a stream filling the buffer and
     * from streams handing out a few bytes at a time.
     */
    @Test
    void everyStopAtEveryOffsetOfAWordAndOfTheBuffer() throws IOException {
        JsonFactory ours = PythonJson.factory(false);
        JsonFactory jacksons = PythonJson.factory(false, UTF8StreamJsonParser::new);
        List<Integer> before = new ArrayList<>();
        for (int n = 0; n < 18; n++) before.add(n);
        for (int n = 7986; n < 8001; n++) before.add(n);     // the stop (up to 12 bytes) across the end of the first buffer
        for (int n = 15994; n < 16000; n++) before.add(n);   // and of the second
        Random r = new Random(8000);
        int documents = 0;
        for (byte[] stop : STOPS) {
            for (int n : before) {
                for (int after : new int[] {0, 8}) {
                    for (int shape = 0; shape < 3; shape++) {
                        byte[] doc = stopDocument(shape, n, stop, after);
                        compare(ours, jacksons, doc, 0, doc.length);
                        if (n < 18) {
                            byte[] inside = new byte[doc.length + 12];
                            java.util.Arrays.fill(inside, (byte) '"');   // a parser reading past its end would find a closing quote
                            System.arraycopy(doc, 0, inside, 5, doc.length);
                            compare(ours, jacksons, inside, 5, doc.length);
                        }
                        compareStreamed(ours, jacksons, doc, new Trickle(doc, Integer.MAX_VALUE));
                        int chunk = n < 20 ? 1 + r.nextInt(9) : new int[] {7, 8, 9, 4000, 7999, 8001}[r.nextInt(6)];
                        compareStreamed(ours, jacksons, doc, new Trickle(doc, chunk));
                        documents++;
                    }
                }
            }
        }
        assertTrue(documents > 10_000, "documents: " + documents);
    }

    /** Documents of 30-300 KB whose strings span many buffer refills, read through reads of 1 to 9000 bytes. */
    @Test
    void stringsAcrossManyRefills() throws IOException {
        JsonFactory ours = PythonJson.factory(false);
        JsonFactory jacksons = PythonJson.factory(false, UTF8StreamJsonParser::new);
        Random r = new Random(9000);
        for (int i = 0; i < 60; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write('[');
            int target = 30_000 + r.nextInt(270_000);
            while (out.size() < target) {
                if (out.size() > 1) out.write(',');
                out.write('"');
                int len = r.nextInt(4) == 0 ? 20_000 + r.nextInt(60_000) : r.nextInt(300);
                for (int j = 0; j < len; j++) {
                    if (r.nextInt(64) == 0) {
                        byte[] stop = VALID_STOPS[r.nextInt(VALID_STOPS.length)];
                        out.writeBytes(stop);
                        j += stop.length;
                    } else {
                        out.write(plain(j));
                    }
                }
                out.write('"');
            }
            if (r.nextInt(4) == 0) {
                // a last string that is sometimes refused, late in the document
                out.writeBytes(ascii(",\"late "));
                out.writeBytes(STOPS[r.nextInt(STOPS.length)]);
                out.write('"');
            }
            out.write(']');
            byte[] doc = out.toByteArray();
            compare(ours, jacksons, doc, 0, doc.length);
            compareStreamed(ours, jacksons, doc, new RandomReads(doc, new Random(i)));
        }
    }

    private static final byte[][] VALID_STOPS = {
        ascii("\\n"), ascii("\\\""), ascii("\\\\"), ascii("\\/"), ascii("\\b"), ascii("\\f"), ascii("\\r"), ascii("\\t"),
        ascii("\\u00e9"), ascii("\\uD800"), ascii("\\uDFFF"), ascii("\\ud83d\\ude00"), ascii("\\u0000"), ascii("\\uFFFF"),
        bytes(0x7F), bytes(0xC2, 0x80), bytes(0xC3, 0xA9), bytes(0xDF, 0xBF), bytes(0xE2, 0x82, 0xAC), bytes(0xEF, 0xBF, 0xBF),
        bytes(0xF0, 0x9F, 0x98, 0x80), bytes(0xF4, 0x8F, 0xBF, 0xBF),
    };

    private static final byte[][] STOPS = {
        ascii("\""), ascii("\\n"), ascii("\\\""), ascii("\\\\"), ascii("\\/"), ascii("\\b"), ascii("\\f"), ascii("\\r"),
        ascii("\\t"), ascii("\\u00e9"), ascii("\\uD800"), ascii("\\uDBFF\\uDFFF"), ascii("\\u0000"), ascii("\\u12g4"),
        ascii("\\u00"), ascii("\\U0041"), ascii("\\x"), ascii("\\'"), ascii("\\ "), ascii("\\"), bytes(0x00), bytes(0x01),
        bytes(0x0A), bytes(0x1F), bytes(0x7F), bytes(0x80), bytes(0xBF), bytes(0xC0, 0x80), bytes(0xC1, 0xBF), bytes(0xC3),
        bytes(0xC3, 0xA9), bytes(0xC3, 0x41), bytes(0xE2, 0x82), bytes(0xE2, 0x82, 0xAC), bytes(0xE2, 0x82, 0x41),
        bytes(0xE0, 0x80, 0x80), bytes(0xED, 0xA0, 0x80), bytes(0xF0, 0x9F, 0x98), bytes(0xF0, 0x9F, 0x98, 0x80),
        bytes(0xF0, 0x9F, 0x41, 0x80), bytes(0xF4, 0x90, 0x80, 0x80), bytes(0xF7, 0xBF, 0xBF, 0xBF), bytes(0xF8, 0x80),
        bytes(0xFE), bytes(0xFF),
    };

    /** Shape 0: {@code ["…"]}; 1: {@code "…"} ending the input; 2: {@code "…} never closed. */
    private static byte[] stopDocument(int shape, int before, byte[] stop, int after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (shape == 0) out.write('[');
        out.write('"');
        for (int j = 0; j < before; j++) out.write(plain(j));
        out.writeBytes(stop);
        for (int j = 0; j < after; j++) out.write(plain(j + 3));
        if (shape < 2) out.write('"');
        if (shape == 0) out.write(']');
        return out.toByteArray();
    }

    /** Plain bytes of every kind: space, digits, letters, punctuation, DEL. */
    static int plain(int j) {
        int c = 0x20 + (j * 37) % 0x60;
        return c == '"' || c == '\\' ? '~' : c;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) a[i] = (byte) b[i];
        return a;
    }

    private static void compare(JsonFactory ours, JsonFactory jacksons, byte[] data, int offset, int length) throws IOException {
        String want = walk(jacksons.createParser(data, offset, length));
        assertEquals(want, walk(ours.createParser(data, offset, length)), () -> shown(data, offset, length));
    }

    private static void compareStreamed(JsonFactory ours, JsonFactory jacksons, byte[] doc, InputStream in) throws IOException {
        String want = walk(jacksons.createParser(new ByteArrayInputStream(doc)));
        assertEquals(want, walk(ours.createParser(in)), () -> shown(doc, 0, doc.length));
    }

    static String shown(byte[] data, int offset, int length) {
        StringBuilder b = new StringBuilder(length + " bytes: ");
        for (int i = offset; i < offset + length; i++) {
            int c = data[i] & 0xFF;
            if (c < 0x20 || c >= 0x7F) b.append(String.format("<%02x>", c)); else b.append((char) c);
            if (b.length() > 400 && i < offset + length - 100) {
                b.append(" … ");
                i = offset + length - 100;
            }
        }
        return b.toString();
    }

    /** A stream whose reads return 1 to 9000 bytes, at random. */
    static final class RandomReads extends InputStream {
        private final byte[] data;
        private final Random r;
        private int pos;

        RandomReads(byte[] data, Random r) {
            this.data = data;
            this.r = r;
        }

        @Override public int read() {
            return pos < data.length ? data[pos++] & 0xFF : -1;
        }

        @Override public int read(byte[] b, int off, int len) {
            if (pos >= data.length) return -1;
            int n = Math.min(Math.min(len, 1 + r.nextInt(r.nextBoolean() ? 16 : 9000)), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
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
            // where it was refused too: the message alone would not tell a refusal a few bytes off
            long at = e instanceof JsonProcessingException j && j.getLocation() != null ? j.getLocation().getByteOffset() : -1;
            seen.add("refused@" + at + ": " + e.getMessage().replaceAll("(?s)\n.*", ""));
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
