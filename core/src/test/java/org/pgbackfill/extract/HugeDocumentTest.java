package org.pgbackfill.extract;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A single 100+ MB chat is extracted in a JVM limited to 256 MB of heap (surefire runs this class
 * alone with -Xmx256m, see core/pom.xml). The document is generated on the fly, never held whole,
 * so the test proves the extractor's memory is bounded by its largest message, not the document.
 */
class HugeDocumentTest {
    static final int MESSAGES = 1500;
    static final int CONTENT_CHARS = 30_000;
    static final int IMAGE_CHARS = 20 << 20;     // one 20 MB base64 image, as real chats have

    @Test
    void extractsAHundredMegabyteDocumentInBoundedMemory() throws IOException {
        long maxHeap = Runtime.getRuntime().maxMemory();
        assertTrue(maxHeap <= 300L << 20, "this test must run with -Xmx256m (it runs with " + (maxHeap >> 20) + " MB)");
        GeneratedDocument doc = new GeneratedDocument();
        assertTrue(doc.length() > 100_000_000L, "document is " + doc.length() + " bytes");

        long[] rows = {0};
        long[] contentBytes = {0};
        boolean[] imageSeen = {false};
        ExtractionSink sink = new ExtractionSink() {
            @Override public void row(MessageRow row) {
                rows[0]++;
                int len = row.jsonEnd(0) - row.jsonStart(0);
                contentBytes[0] += len;
                if (row.messageKey.equals("m7")) {
                    imageSeen[0] = row.jsonEnd(2) - row.jsonStart(2) > IMAGE_CHARS;
                }
                assertEquals(1_717_000_000L + Integer.parseInt(row.messageKey.substring(1)), row.createdAt);
            }
            @Override public void rejectedMessage(String c, String k, RejectReason r, String d, byte[] raw) { throw new AssertionError(r + " " + d); }
            @Override public void rejectedChat(String c, RejectReason r, String d, byte[] p) { throw new AssertionError(r + " " + d); }
        };
        new MessageExtractor(1_750_000_000L).extract("big", "user", doc, sink);
        assertEquals(MESSAGES, rows[0]);
        assertEquals((long) MESSAGES * (CONTENT_CHARS + 2), contentBytes[0]);
        assertTrue(imageSeen[0], "the message with the 20 MB image was extracted whole");
    }

    /**
     * The same document double-encoded (a JSON string holding it): decoded as a stream of characters,
     * never as one String, so memory stays bounded by the largest message on that path too.
     */
    @Test
    void extractsAHundredMegabyteDoubleEncodedDocumentInBoundedMemory() throws IOException {
        assertTrue(Runtime.getRuntime().maxMemory() <= 300L << 20, "this test must run with -Xmx256m");
        GeneratedDocument inner = new GeneratedDocument();
        long quotes = 0;   // each quote of the inner text is escaped with a backslash (it holds no backslash)
        try (InputStream in = inner.open()) {
            byte[] b = new byte[1 << 16];
            for (int r; (r = in.read(b)) > 0; ) for (int i = 0; i < r; i++) if (b[i] == '"') quotes++;
        }
        long length = inner.length() + quotes + 2;
        DocumentSource doc = new DocumentSource() {
            @Override public long length() { return length; }

            @Override public InputStream open() {
                InputStream in = inner.open();
                return new InputStream() {
                    private int state;          // 0 opening quote, 1 body, 2 closing quote, 3 end
                    private int escaped = -1;

                    @Override public int read() throws IOException {
                        if (escaped >= 0) {
                            int c = escaped;
                            escaped = -1;
                            return c;
                        }
                        switch (state) {
                            case 0: state = 1; return '"';
                            case 1: {
                                int c = in.read();
                                if (c < 0) { state = 3; return '"'; }
                                if (c == '"' || c == '\\') { escaped = c; return '\\'; }
                                return c;
                            }
                            default: return -1;
                        }
                    }

                    @Override public int read(byte[] b, int off, int len) throws IOException {
                        int n = 0;
                        while (n < len) {
                            int c = read();
                            if (c < 0) break;
                            b[off + n++] = (byte) c;
                        }
                        return n == 0 && len > 0 ? -1 : n;
                    }
                };
            }
        };
        long[] rows = {0};
        ExtractionSink sink = new ExtractionSink() {
            @Override public void row(MessageRow row) { rows[0]++; }
            @Override public void rejectedMessage(String c, String k, RejectReason r, String d, byte[] raw) { throw new AssertionError(r + " " + d); }
            @Override public void rejectedChat(String c, RejectReason r, String d, byte[] p) { throw new AssertionError(r + " " + d); }
        };
        new MessageExtractor(1_750_000_000L).extract("big", "user", doc, sink);
        assertEquals(MESSAGES, rows[0]);
    }

    /**
     * A 100+ MB document whose bulk is distinct keys of 64 KB each, in a value the extractor skips
     * (and in the messages' own {@code metadata}): a parser's field-name table would keep every
     * distinct name it meets (the name and its bytes, copied whole at each long name added), so the
     * table must not be what holds the document.
     */
    @Test
    void extractsAHundredMegabyteDocumentOfLongDistinctKeysInBoundedMemory() throws IOException {
        assertLongKeys(1700, 20);
    }

    /** The same keys as the message keys themselves: which occurrence of each wins must not hold them all either. */
    @Test
    void extractsAHundredMegabyteDocumentOfLongMessageKeysInBoundedMemory() throws IOException {
        assertLongKeys(0, 1700);
    }

    /** {@code skipped} keys of 64 KB in a skipped object, then {@code messages} messages with keys of 64 KB, each with one more in its metadata. */
    private static void assertLongKeys(int skipped, int messages) throws IOException {
        assertTrue(Runtime.getRuntime().maxMemory() <= 300L << 20, "this test must run with -Xmx256m");
        int keyChars = 64 << 10;
        DocumentSource doc = new DocumentSource() {
            @Override public long length() { return (long) (skipped + 2 * messages) * (keyChars + 100) + 100; }

            @Override public InputStream open() {
                return new InputStream() {
                    private int part = -1;
                    private byte[] chunk = new byte[0];
                    private int pos;

                    @Override public int read() {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override public int read(byte[] b, int off, int len) {
                        while (pos >= chunk.length) {
                            if (++part > skipped + messages + 2) return -1;
                            chunk = part(part).getBytes(StandardCharsets.UTF_8);
                            pos = 0;
                        }
                        int n = Math.min(len, chunk.length - pos);
                        System.arraycopy(chunk, pos, b, off, n);
                        pos += n;
                        return n;
                    }
                };
            }

            private String part(int i) {
                if (i == 0) return "{\"files\":{";
                if (i <= skipped) return (i > 1 ? "," : "") + "\"" + key("f", i) + "\":" + i;
                if (i == skipped + 1) return "},\"history\":{\"messages\":{";
                int m = i - skipped - 2;
                if (m < messages) {
                    return (m > 0 ? "," : "") + "\"" + key("m", m) + "\":{\"role\":\"user\",\"content\":\"c" + m
                        + "\",\"sources\":[{\"metadata\":{\"" + key("s", m) + "\":1}}],\"timestamp\":" + (1_717_000_000L + m) + "}";
                }
                return "}}}";
            }
        };
        long[] rows = {0};
        ExtractionSink sink = new ExtractionSink() {
            @Override public void row(MessageRow row) {
                assertEquals(key("m", (int) (row.createdAt - 1_717_000_000L)), row.messageKey);
                rows[0]++;
            }
            @Override public void rejectedMessage(String c, String k, RejectReason r, String d, byte[] raw) { throw new AssertionError(r + " " + d); }
            @Override public void rejectedChat(String c, RejectReason r, String d, byte[] p) { throw new AssertionError(r + " " + d); }
        };
        long t0 = System.nanoTime();
        new MessageExtractor(1_750_000_000L).extract("keys", "user", doc, sink);
        assertEquals(messages, rows[0]);
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds < 30, "two passes over " + doc.length() / 1_000_000 + " MB of keys took " + seconds + " s");
    }

    /** A key of 64 KB, distinct from the others only at its end (as long paths or URLs are). */
    private static String key(String kind, int i) {
        String n = kind + i;
        return "k".repeat((64 << 10) - n.length()) + n;
    }

    /** {"history":{"messages":{m0..mN}},"messages":[copies]} produced lazily, byte by byte, re-openable. */
    static final class GeneratedDocument implements DocumentSource {
        private final long length;

        GeneratedDocument() {
            long n = 0;
            try (InputStream in = open()) {
                byte[] b = new byte[1 << 16];
                for (int r; (r = in.read(b)) > 0; ) n += r;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            this.length = n;
        }

        @Override public long length() { return length; }

        @Override public InputStream open() {
            return new InputStream() {
                private int part;        // 0 head, 1..N history messages, N+1 mid, N+2.. copies, then tail
                private byte[] chunk = "{\"title\":\"big\",\"history\":{\"currentId\":\"m0\",\"messages\":{".getBytes(StandardCharsets.UTF_8);
                private int pos;
                private boolean done;

                @Override public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override public int read(byte[] b, int off, int len) {
                    if (pos >= chunk.length && !next()) return -1;
                    int n = Math.min(len, chunk.length - pos);
                    System.arraycopy(chunk, pos, b, off, n);
                    pos += n;
                    return n;
                }

                private boolean next() {
                    if (done) return false;
                    part++;
                    pos = 0;
                    if (part <= MESSAGES) {
                        chunk = message(part - 1, part > 1).getBytes(StandardCharsets.UTF_8);
                    } else if (part == MESSAGES + 1) {
                        chunk = "}},\"messages\":[".getBytes(StandardCharsets.UTF_8);
                    } else if (part <= 2 * MESSAGES + 1) {
                        String m = message(part - MESSAGES - 2, part > MESSAGES + 2);
                        chunk = m.substring(m.indexOf(':') + 1).replaceFirst("^", part > MESSAGES + 2 ? "," : "").getBytes(StandardCharsets.UTF_8);
                    } else {
                        chunk = "],\"tags\":[]}".getBytes(StandardCharsets.UTF_8);
                        done = true;
                    }
                    return true;
                }
            };
        }

        private static String message(int i, boolean comma) {
            char fill = (char) ('a' + i % 26);
            String content = String.valueOf(fill).repeat(CONTENT_CHARS);
            String files = i == 7 ? "[{\"type\":\"image\",\"url\":\"data:image/png;base64," + "QUJD".repeat(IMAGE_CHARS / 4) + "\"}]" : "[]";
            return (comma ? "," : "") + "\"m" + i + "\":{\"id\":\"m" + i + "\",\"parentId\":" + (i == 0 ? "null" : "\"m" + (i - 1) + "\"")
                + ",\"role\":\"" + (i % 2 == 0 ? "user" : "assistant") + "\",\"content\":\"" + content + "\",\"files\":" + files
                + ",\"timestamp\":" + (1_717_000_000L + i) + "}";
        }
    }
}
