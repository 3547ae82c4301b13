package org.pgbackfill.extract;

import org.pgbackfill.testing.PythonOracle;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End to end against Python itself: chat documents whose strings and keys hold everything the
 * word-at-a-time string skip and the per-parser field-name table must get right (escapes, UTF-8 of
 * every length, lone surrogates, plain runs across the parser's buffer end, invalid bytes, strings cut
 * by the end of the document; keys escaped, multi-byte, longer than 64 KB, a hundred thousand of them,
 * repeated) are extracted one pass from memory (messages sliced as bytes) and two passes from a
 * stream of random short reads (messages re-encoded), and python3's json.loads decides what each must
 * give (src/test/resources/extract/oracle.py). Skipped when python3 is missing.
 */
class SkippedStringsPythonOracleTest {
    private static final long NOW = 1_750_000_000L;
    private static final int CHATS = 1200;

    /** Valid string content that ends a plain run. */
    private static final String[] PIECES = {
        "\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t", "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\uD800", "\\uDFFF",
        "\\u0000", "\\u001f", "\\uFFFF", "é", "€", "😀", "中文", "\u0080", "\uffff", "\udbff\udfff", "\u007f",
    };
    /** Bytes that make a document invalid inside a string, for Python and for Jackson. */
    private static final byte[][] INVALID = {
        {0x00}, {0x01}, {0x0A}, {0x1F}, b("\\x"), b("\\u12g4"), b("\\U0041"), b("\\'"), {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xFF},
        {(byte) 0xF8, (byte) 0x80}, {(byte) 0xC3, 0x41}, {(byte) 0xE2, (byte) 0x82, 0x41}, {(byte) 0xF0, (byte) 0x9F, 0x41, 0x41},
    };

    @Test
    void extractionOfTrickyStringsAndKeysMatchesPython() throws Exception {
        Assumptions.assumeTrue(PythonOracle.available(), "python3 is not on the PATH: the Python oracle test is skipped");
        Random r = new Random(20261203L);
        List<byte[]> docs = new ArrayList<>();
        for (int i = 0; i < CHATS; i++) docs.add(chat(r));
        docs.add(manyKeys(100_000, false));
        docs.add(manyKeys(100_000, true));
        docs.add(longKeys());

        long t0 = System.nanoTime();
        MessageExtractor onePass = new MessageExtractor(NOW, Integer.MAX_VALUE);
        MessageExtractor twoPass = new MessageExtractor(NOW, 0);
        Path input = Files.createTempFile("skipped-strings", ".jsonl");
        int[] outcomes = new int[3];   // rows, rejected messages, rejected chats
        try {
            try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8);
                 JsonGenerator g = new JsonFactory().createGenerator(w)) {
                g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                for (int i = 0; i < docs.size(); i++) {
                    byte[] doc = docs.get(i);
                    g.writeStartObject();
                    g.writeStringField("doc", Base64.getEncoder().encodeToString(doc));
                    g.writeArrayFieldStart("ways");
                    way(g, onePass, DocumentSource.of(doc), outcomes);
                    long seed = i;
                    if (i < CHATS) {   // (the large documents below are read from a stream by the other tests of the package)
                        way(g, twoPass, new DocumentSource() {
                            @Override public InputStream open() { return new WordSkippingParserTest.RandomReads(doc, new Random(seed)); }
                            @Override public long length() { return doc.length; }
                        }, outcomes);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                    g.flush();
                    w.write('\n');
                }
            }
            long t1 = System.nanoTime();
            Path script = Path.of("src/test/resources/extract/oracle.py").toAbsolutePath();
            List<String> answers = PythonOracle.answers(script, input, 120);
            System.out.printf("skipped strings python oracle: %d documents, extracted in %d ms, python3 in %d ms, %d bytes to it%n", docs.size(),
                (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000, Files.size(input));
            assertEquals(docs.size(), answers.size(), "oracle.py answered a different number of documents");
            List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
                if (!answers.get(i).equals("ok") && mismatches.size() < 10) {
                    mismatches.add("document " + i + ": " + answers.get(i) + "\n  " + WordSkippingParserTest.shown(docs.get(i), 0, docs.get(i).length));
                }
            }
            if (!mismatches.isEmpty()) fail(String.join("\n", mismatches));
        } finally {
            Files.deleteIfExists(input);
        }
        // the corpus must reach every outcome, or agreeing with Python says little
        assertTrue(outcomes[0] > CHATS && outcomes[1] > 20 && outcomes[2] > CHATS / 20 && outcomes[2] < CHATS / 2,
            "rows, rejected messages, rejected chats: " + Arrays.toString(outcomes));
    }

    /** What one way of extracting gave, for oracle.py. */
    private static void way(JsonGenerator g, MessageExtractor x, DocumentSource doc, int[] outcomes) throws Exception {
        Collected c = new Collected();
        x.extract("chat", "user", doc, c);
        g.writeStartObject();
        g.writeStringField("chat", c.rejectedChats.isEmpty() ? null : c.rejectedChats.get(0).reason().name());
        g.writeArrayFieldStart("rows");
        for (MessageRow row : c.rows) {
            g.writeStartObject();
            units(g, "key", row.messageKey);
            units(g, "role", row.role);
            g.writeArrayFieldStart("cols");
            for (int i = 0; i < MessageRow.JSON_COLUMNS.length; i++) {
                if (row.jsonStart(i) < 0) {
                    g.writeNull();
                } else {
                    g.writeString(Base64.getEncoder().encodeToString(Arrays.copyOfRange(row.messageJson, row.jsonStart(i), row.jsonEnd(i))));
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("rejected");
        for (Collected.MessageRejection m : c.rejected) {
            g.writeStartObject();
            units(g, "key", m.key());
            g.writeStringField("reason", m.reason().name());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        outcomes[0] += c.rows.size();
        outcomes[1] += c.rejected.size();
        outcomes[2] += c.rejectedChats.size();
    }

    /** A string; as its UTF-16 code units if it holds a surrogate (a lone one cannot travel to Python as JSON text). */
    private static void units(JsonGenerator g, String field, String s) throws java.io.IOException {
        if (s.chars().noneMatch(c -> Character.isSurrogate((char) c))) {
            g.writeStringField(field, s);
            return;
        }
        g.writeArrayFieldStart(field);
        for (int i = 0; i < s.length(); i++) g.writeNumber((int) s.charAt(i));
        g.writeEndArray();
    }

    /** A chat: tricky strings everywhere, tricky message keys, sometimes repeated keys, sometimes invalid or cut short. */
    private static byte[] chat(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean invalid = r.nextInt(12) == 0;
        int invalidAt = r.nextInt(8);   // which string gets the invalid bytes
        int[] strings = {0};
        StringWriter s = () -> {
            out.write('"');
            int pieces = r.nextInt(10);
            for (int p = 0; p < pieces; p++) {
                if (r.nextInt(3) == 0) {
                    int n = r.nextInt(200) == 0 ? 7990 + r.nextInt(20) : r.nextInt(24);
                    for (int j = 0; j < n; j++) out.write(WordSkippingParserTest.plain(j + pieces));
                } else {
                    out.writeBytes(PIECES[r.nextInt(PIECES.length)].getBytes(StandardCharsets.UTF_8));
                }
            }
            if (invalid && strings[0]++ == invalidAt) out.writeBytes(INVALID[r.nextInt(INVALID.length)]);
            out.write('"');
        };
        put(out, "{\"id\":\"c\",\"title\":");
        s.write();
        if (r.nextInt(8) == 0) {   // a history that a later one replaces
            put(out, ",\"history\":{\"messages\":{\"gone\":{\"role\":\"user\",\"content\":");
            s.write();
            put(out, "}}}");
        }
        put(out, ",\"history\":{\"currentId\":");
        s.write();
        put(out, ",\"messages\":{");
        int messages = 1 + r.nextInt(5);
        List<String> keys = new ArrayList<>();
        for (int m = 0; m < messages; m++) {
            if (m > 0) out.write(',');
            String key = !keys.isEmpty() && r.nextInt(8) == 0 ? keys.get(r.nextInt(keys.size())) : key(r);
            keys.add(key);
            put(out, key);
            put(out, ":{\"id\":");
            s.write();
            put(out, ",\"parentId\":null,\"role\":");
            if (r.nextInt(10) == 0) {
                s.write();   // a role of any string, empty (skipped), NUL or lone surrogate (rejected) included
            } else {
                put(out, r.nextInt(12) == 0 ? "\"\"" : "\"user\"");
            }
            if (r.nextInt(10) == 0) put(out, ",\"role\":\"assistant\"");   // repeated in the message: the last wins
            put(out, ",\"content\":");
            s.write();
            put(out, ",\"files\":[{\"name\":");
            s.write();
            put(out, ",\"data\":");
            s.write();
            put(out, "}],\"sources\":[{\"document\":[");
            s.write();
            put(out, "],\"metadata\":[{");
            put(out, key(r));
            put(out, ":");
            s.write();
            put(out, "}]}],\"timestamp\":1717000000,\"usage\":{\"prompt_tokens\":3}}");
        }
        put(out, "}},\"messages\":[{\"content\":");
        s.write();
        put(out, "}],\"files\":[");
        s.write();
        put(out, "],\"timestamp\":1717000000123}");
        byte[] doc = out.toByteArray();
        // sometimes cut short: most often inside a string (unterminated at the end of the input)
        return r.nextInt(30) == 0 ? Arrays.copyOf(doc, r.nextInt(doc.length)) : doc;
    }

    /** A message key as written in the document: a UUID, or escaped, multi-byte, NUL, lone surrogate, long, or equal to another once decoded. */
    private static String key(Random r) {
        String uuid = new java.util.UUID(r.nextLong(), r.nextLong()).toString();
        return switch (r.nextInt(16)) {
            case 0 -> "\"" + uuid + "\\\"\\\\\\n\"";
            case 1 -> "\"caf\\u00e9-" + uuid.substring(0, 4) + "\"";
            case 2 -> "\"café-" + uuid.substring(0, 4) + "\"";        // the same key as case 1, written raw
            case 3 -> "\"€😀中-" + uuid + "\"";
            case 4 -> "\"\\ud83d\\ude00" + uuid.substring(0, 8) + "\"";
            case 5 -> "\"k\\u0000" + uuid.substring(0, 2) + "\"";     // NUL: rejected
            case 6 -> "\"k\\uD800" + uuid.substring(0, 2) + "\"";     // lone surrogate: rejected
            case 7 -> "\"a\\u0062\"";                                  // "ab", as case 8
            case 8 -> "\"ab\"";
            case 9 -> "\"" + "x".repeat(r.nextInt(30)) + uuid.substring(0, 1) + "\"";
            case 10 -> "\"" + "é€😀\\n".repeat(1 + r.nextInt(300)) + "\"";
            default -> "\"" + uuid + "\"";
        };
    }

    /** {@code count} UUID message keys, in history.messages or in a skipped object beside it. */
    private static byte[] manyKeys(int count, boolean skipped) {
        Random r = new Random(count);
        StringBuilder b = new StringBuilder(count * 64);
        b.append(skipped ? "{\"files\":{" : "{\"history\":{\"messages\":{");
        for (int i = 0; i < count; i++) {
            if (i > 0) b.append(',');
            b.append('"').append(new java.util.UUID(r.nextLong(), r.nextLong())).append("\":{\"role\":\"user\"}");
        }
        b.append(skipped ? "},\"history\":{\"messages\":{\"only\":{\"role\":\"user\"}}}}" : "}}}");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Keys longer than 64 KB, escaped and multi-byte, some distinct only in their last character, one repeated. */
    private static byte[] longKeys() {
        StringBuilder b = new StringBuilder("{\"history\":{\"messages\":{");
        String base = "é€😀\\\"\\\\\\u00e9plain".repeat(4000);
        for (int i = 0; i < 12; i++) {
            if (i > 0) b.append(',');
            b.append('"').append(base).append(i % 10).append("\":{\"role\":\"user\",\"content\":\"v").append(i).append("\"}");
        }
        return b.append("}}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private interface StringWriter { void write(); }

    private static void put(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
