package org.pgbackfill.extract;

import org.junit.jupiter.api.Test;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.ExactJson;
import org.pgbackfill.testing.MutatedDocuments;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property: whatever bytes a document holds, {@link MessageExtractor#extract} only ever produces
 * rows and rejections (no exception reaches the range), and every way of reading it (one pass from
 * memory, two passes from memory, two passes from a stream as large documents are read) gives the
 * same result. Documents are random bytes and random mutations of real ones; the seed is fixed so a
 * failure is reproducible, and printed with the document that caused it.
 */
class ExtractorRobustnessTest {
    private static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;
    private static final int ITERATIONS = 30_000;

    private final MessageExtractor onePass = new MessageExtractor(NOW, Integer.MAX_VALUE);
    private final MessageExtractor twoPass = new MessageExtractor(NOW, 0);

    @Test
    void anyDocumentYieldsOnlyRowsAndRejectionsTheSameWayEveryPath() {
        Random random = new Random(20261202L);
        List<String> seeds = MutatedDocuments.seeds(NOW);
        int rejectedChats = 0, withRows = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] doc = MutatedDocuments.document(random, seeds);
            String reference = check(doc);
            if (reference.contains("chat:")) rejectedChats++;
            if (reference.contains("|")) withRows++;
        }
        // The generator must exercise both outcomes, or the property says little.
        assertTrue(rejectedChats > ITERATIONS / 10, "rejected chats: " + rejectedChats);
        assertTrue(withRows > ITERATIONS / 20, "documents with rows: " + withRows);
    }

    /** Double-encoded text that looks like UTF-32 once decoded used to make Jackson's encoding detection throw. */
    @Test
    void doubleEncodedTextLookingLikeUtf16Or32IsJustInvalidJson() {
        for (String inner : new String[] {"{\u0000\u0000\u0000x", "\u0000\u0000\u0000{", "{\u0000\"\u0000", "\u0000{\u0000\"",
            "\u00fe\u00ff\u0000{", "\ufeff{}", "\ufffe{}"}) {
            String result = check(ExactJson.quote(inner).getBytes(StandardCharsets.UTF_8));
            assertEquals("chat:INVALID_JSON\n", result, inner);
        }
    }

    /** A failure of the source itself is the only thing that propagates, and it propagates unchanged. */
    @Test
    void aFailingSourcePropagatesItsOwnException() {
        IOException boom = new IOException("connection reset");
        String plain = "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\",\"content\":\"" + "x".repeat(5000) + "\"}}}}";
        // Plain, and double-encoded (the failure then comes through the character decoder).
        for (byte[] doc : List.of(plain.getBytes(StandardCharsets.UTF_8), ExactJson.quote(plain).getBytes(StandardCharsets.UTF_8))) {
            for (int failAt : new int[] {0, 1, 100, 4000}) {
                DocumentSource failing = failingAt(doc, failAt, boom);
                for (MessageExtractor x : List.of(onePass, twoPass)) {
                    IOException thrown = assertThrows(IOException.class, () -> x.extract("c", "u", failing, new Collected()));
                    assertSame(boom, thrown, "fail at " + failAt + " of " + new String(doc, 0, 20, StandardCharsets.UTF_8));
                }
            }
        }
        DocumentSource unopenable = new DocumentSource() {
            @Override public InputStream open() throws IOException { throw boom; }
            @Override public long length() { return 10; }
        };
        assertSame(boom, assertThrows(IOException.class, () -> onePass.extract("c", "u", unopenable, new Collected())));
    }

    /** A source whose stream throws {@code boom} once {@code failAt} bytes were read. */
    private static DocumentSource failingAt(byte[] doc, int failAt, IOException boom) {
        return new DocumentSource() {
            @Override public InputStream open() {
                return new InputStream() {
                    int pos;
                    @Override public int read() throws IOException {
                        if (pos >= failAt) throw boom;
                        return doc[pos++] & 0xff;
                    }
                };
            }

            @Override public long length() { return doc.length; }
        };
    }

    /** Extracts {@code doc} every way; returns the common result, failing on any exception or difference. */
    private String check(byte[] doc) {
        String a = run(onePass, DocumentSource.of(doc), doc);
        String b = run(twoPass, DocumentSource.of(doc), doc);
        String c = run(twoPass, streamOnly(doc), doc);
        String d = run(onePass, streamOnly(doc), doc);
        if (!a.equals(b) || !a.equals(c) || !a.equals(d)) {
            fail("paths disagree for " + shown(doc) + "\none-pass:\n" + a + "two-pass:\n" + b + "two-pass stream:\n" + c
                + "one-pass stream:\n" + d);
        }
        return a;
    }

    private static String run(MessageExtractor x, DocumentSource source, byte[] doc) {
        Collected c = new Collected();
        try {
            x.extract("chat", "user", source, c);
        } catch (Throwable e) {
            throw new AssertionError("extract threw for " + shown(doc), e);
        }
        StringBuilder b = new StringBuilder();
        for (MessageRow r : c.rows) {
            b.append(r.id).append('|').append(r.role).append('|').append(r.parentId).append('|').append(r.modelId)
                .append('|').append(r.done).append('|').append(r.createdAt);
            // JSON-equal is what must agree: a sliced value keeps its source escapes, a re-encoded one does not.
            for (int i = 0; i < MessageRow.JSON_COLUMNS.length; i++) b.append('|').append(canonical(r.json(i)));
            b.append('\n');
        }
        c.rejected.forEach(r -> b.append(r.key()).append(':').append(r.reason()).append('\n'));
        for (Collected.ChatRejection r : c.rejectedChats) {
            // A bug in the extractor is recorded as EXTRACTION_FAILED: for this property it is a failure.
            if (r.reason() == RejectReason.EXTRACTION_FAILED) throw new AssertionError("EXTRACTION_FAILED (" + r.detail() + ") for " + shown(doc));
            b.append("chat:").append(r.reason()).append('\n');
        }
        return b.toString();
    }

    private static String canonical(String json) {
        try {
            return ExactJson.toAsciiJson(ExactJson.parse(json));
        } catch (IOException e) {
            throw new AssertionError("a JSON column is not valid JSON: " + json, e);
        } catch (RuntimeException tooBigForBigDecimal) {
            return json;   // e.g. an exponent of hundreds of digits: numbers are copied as written on every path
        }
    }

    /** The document as a spool file presents it: a stream, no array to slice from. */
    private static DocumentSource streamOnly(byte[] doc) {
        return new DocumentSource() {
            @Override public InputStream open() { return new ByteArrayInputStream(doc); }
            @Override public long length() { return doc.length; }
        };
    }

    private static String shown(byte[] doc) {
        String s = new String(doc, StandardCharsets.ISO_8859_1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), 600); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch >= 0x7f) b.append(String.format("\\x%02x", (int) ch)); else b.append(ch);
        }
        return b + (s.length() > 600 ? "…(" + s.length() + " bytes)" : "");
    }
}
