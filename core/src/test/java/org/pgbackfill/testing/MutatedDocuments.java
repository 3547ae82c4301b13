package org.pgbackfill.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Documents for property tests of the extractor: random bytes, and the corpus's documents mutated
 * the ways real damage and Python/Jackson disagreements look (truncations, NULs raw and escaped,
 * swapped quotes, deep nesting around the limits, huge integers around 4,300 digits, non-standard
 * literals, UTF-16/32-looking text, BOMs, lone surrogates, odd whitespace, duplicate keys, and
 * double-encoding of all of that). Deterministic for a given {@link Random}.
 */
public final class MutatedDocuments {
    private MutatedDocuments() { }

    /** The corpus documents of a reasonable size: real shapes to mutate. */
    public static List<String> seeds(long now) {
        List<String> seeds = new ArrayList<>();
        for (EdgeCaseCorpus.Case c : EdgeCaseCorpus.cases(now)) {
            if (c.fixture().document() != null && c.fixture().document().length() < 20_000) seeds.add(c.fixture().document());
        }
        return seeds;
    }

    /** One document: random bytes, or a corpus document mutated zero to two times, maybe double-encoded, a BOM, cut. */
    public static byte[] document(Random r, List<String> seeds) {
        int kind = r.nextInt(10);
        if (kind == 0) return randomBytes(r);
        String doc = seeds.get(r.nextInt(seeds.size()));
        int mutations = r.nextInt(3);
        for (int m = 0; m < mutations; m++) doc = mutate(r, doc);
        if (r.nextInt(5) == 0) doc = ExactJson.quote(doc);           // double-encode the mutated document
        byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(12) == 0) bytes = withBom(r, bytes);
        if (r.nextInt(12) == 0) bytes = truncate(r, bytes);           // may cut a UTF-8 sequence
        return bytes;
    }

    private static byte[] randomBytes(Random r) {
        byte[] b = new byte[r.nextInt(64)];
        String alphabet = "{}[]\":,\\u0 \ttrufalsenNI-+.eE1234567890";
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextBoolean() ? (byte) r.nextInt(256) : (byte) alphabet.charAt(r.nextInt(alphabet.length()));
        }
        return b;
    }

    private static byte[] withBom(Random r, byte[] doc) {
        byte[][] boms = {{(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, {(byte) 0xfe, (byte) 0xff}, {(byte) 0xff, (byte) 0xfe},
            {0, 0, (byte) 0xfe, (byte) 0xff}, {(byte) 0xff, (byte) 0xfe, 0, 0}};
        byte[] bom = boms[r.nextInt(boms.length)];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bom);
        out.writeBytes(doc);
        return out.toByteArray();
    }

    private static byte[] truncate(Random r, byte[] doc) {
        return doc.length == 0 ? doc : java.util.Arrays.copyOf(doc, r.nextInt(doc.length));
    }

    private static String mutate(Random r, String doc) {
        int at = doc.isEmpty() ? 0 : r.nextInt(doc.length() + 1);
        String head = doc.substring(0, at), tail = doc.substring(at);
        switch (r.nextInt(16)) {
            case 0: return head;                                                     // truncation
            case 1: return head + "\u0000" + tail;                                   // raw NUL
            case 2: return head + "\\u0000" + tail;                                  // NUL escape
            case 3: return doc.replace('"', r.nextBoolean() ? '\'' : '`');           // swapped quotes
            case 4: { int n = pick(r, 980, 1000, 1200, 5); return "[".repeat(n) + doc + "]".repeat(n); }
            case 5: { int n = pick(r, 970, 990, 2000, 3); return head + "{\"d\":".repeat(n) + "1" + "}".repeat(n) + tail; }
            case 6: return head + digits(r) + tail;                                  // huge numbers
            case 7: return head + pickOf(r, "NaN", "Infinity", "-Infinity", "+Infinity", "-INF", "+INF", "1e999999999",
                "-0", "01", "-", "1.", ".5", "1e400", "4.9e-324") + tail;
            case 8: return utf16Looking(r, doc);
            case 9: return head + "\\ud800" + tail;                                  // lone surrogate escape
            case 10: return head + pickOf(r, "\f", "\u000b", "\u001c", "\u00a0", "\u2028", "\r\n", "\t") + tail;
            case 11: return head + tail.replaceFirst("\"role\"", "\"role\":\"x\",\"role\"");   // duplicate key
            case 12: return doc.replace("\"timestamp\":", "\"timestamp\":\"\\u001c1717000000\",\"timestamp\":");
            case 13: return head + ExactJson.quote(tail);                            // partly double-encoded
            case 14: return head + pickOf(r, "\"\\x\"", "\"\\u12\"", "\\", "\"", "\u0001", "\ud83d") + tail;
            default: return head + "\"d\":1e400,\"d\":1," + tail;
        }
    }

    private static int pick(Random r, int a, int b, int c, int spread) {
        int[] v = {a, b, c};
        return v[r.nextInt(3)] + r.nextInt(spread) - spread / 2;
    }

    private static String pickOf(Random r, String... values) {
        return values[r.nextInt(values.length)];
    }

    private static String digits(Random r) {
        int n = pick(r, 4300, 4301, 20, 3);
        StringBuilder b = new StringBuilder(r.nextBoolean() ? "-" : "");
        b.append((char) ('1' + r.nextInt(9)));
        for (int i = 1; i < n; i++) b.append((char) ('0' + r.nextInt(10)));
        if (r.nextInt(4) == 0) b.append(".5");
        return b.toString();
    }

    /** NULs between the characters, as UTF-16 or UTF-32 text read as Latin-1 would look. */
    private static String utf16Looking(Random r, String doc) {
        int width = r.nextBoolean() ? 1 : 3;
        boolean before = r.nextBoolean();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(doc.length(), 200); i++) {
            if (before) b.append("\u0000".repeat(width));
            b.append(doc.charAt(i));
            if (!before) b.append("\u0000".repeat(width));
        }
        return b.toString();
    }
}
