package org.pgbackfill.copy;

import org.junit.jupiter.api.Test;
import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder against PostgreSQL's binary COPY format as its documentation describes it (the
 * "Binary Format" section of COPY): a signature, flags and header extension; per tuple an int16
 * field count, then per field an int32 length (-1 for NULL) and the bytes; an int16 -1 trailer.
 * The decoder here is written from that description, not from the encoder.
 */
class BinaryCopyEncoderTest {
    @Test
    void headerAndTrailerAreWhatCopyExpects() {
        byte[] signature = "PGCOPY\n\u00ff\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(signature, Arrays.copyOf(BinaryCopyEncoder.HEADER, 11));
        assertEquals(0, ByteBuffer.wrap(BinaryCopyEncoder.HEADER, 11, 4).getInt(), "flags: no OIDs");
        assertEquals(0, ByteBuffer.wrap(BinaryCopyEncoder.HEADER, 15, 4).getInt(), "no header extension");
        assertEquals(19, BinaryCopyEncoder.HEADER.length);
        assertEquals(-1, ByteBuffer.wrap(BinaryCopyEncoder.TRAILER).getShort());
    }

    @Test
    void everyColumnInTableOrderWithNullsAndJsonAsItsBytes() throws IOException {
        List<MessageRow> rows = extract("{\"history\":{\"messages\":{"
            + "\"k1\":{\"role\":\"user\",\"content\":\"h\u00e9llo \\u0000 \ud83d\ude00\",\"model\":\"gpt\",\"parentId\":null,"
            + "\"done\":false,\"usage\":{\"t\":1},\"timestamp\":1700000000},"
            + "\"k2\":{\"role\":\"assistant\",\"parentId\":\"k1\",\"done\":null}}}}");
        BinaryCopyEncoder e = new BinaryCopyEncoder();
        for (MessageRow r : rows) e.append(r);
        List<List<byte[]>> tuples = decode(Arrays.copyOf(e.buffer(), e.length()));
        assertEquals(2, tuples.size());

        List<byte[]> a = tuples.get(0);
        assertEquals(17, a.size(), "chat_message has 17 columns");
        assertEquals("c-k1", text(a.get(0)));
        assertEquals("c", text(a.get(1)));
        assertEquals("u", text(a.get(2)));
        assertEquals("user", text(a.get(3)));
        assertNull(a.get(4), "parent_id: JSON null is SQL NULL");
        assertEquals("\"h\u00e9llo \\u0000 \ud83d\ude00\"", text(a.get(5)), "content: the JSON text, NUL escape kept");
        assertEquals("null", text(a.get(6)), "output: missing is the JSON literal null, not SQL NULL");
        assertEquals("gpt", text(a.get(7)));
        assertArrayEquals(new byte[] {0}, a.get(11), "done false: one byte 0");
        assertEquals("{\"t\":1}", text(a.get(14)));
        assertEquals(1700000000L, ByteBuffer.wrap(a.get(15)).getLong(), "created_at: int8");
        assertEquals(1700000000L, ByteBuffer.wrap(a.get(16)).getLong(), "updated_at = created_at");

        List<byte[]> b = tuples.get(1);
        assertEquals("k1", text(b.get(4)));
        assertNull(b.get(11), "done: JSON null is SQL NULL");
        for (int json : new int[] {5, 6, 8, 9, 10, 12, 13, 14}) assertEquals("null", text(b.get(json)));
    }

    @Test
    void aHugeRowGrowsTheBufferAndClearGivesTheMemoryBack() throws IOException {
        String big = "x".repeat(6 << 20);
        List<MessageRow> rows = extract("{\"history\":{\"messages\":{\"k\":{\"role\":\"user\",\"content\":\"" + big + "\"}}}}");
        BinaryCopyEncoder e = new BinaryCopyEncoder();
        e.append(rows.get(0));
        assertEquals(big.length() + 2, decode(Arrays.copyOf(e.buffer(), e.length())).get(0).get(5).length);
        e.clear();
        assertEquals(0, e.length());
        assertTrue(e.buffer().length <= 1 << 16, "the buffer shrinks back after a huge row, got " + e.buffer().length);
        e.append(extract("{\"history\":{\"messages\":{\"k\":{\"role\":\"user\"}}}}").get(0));
        assertFalse(decode(Arrays.copyOf(e.buffer(), e.length())).isEmpty());
    }

    private static List<MessageRow> extract(String doc) throws IOException {
        List<MessageRow> rows = new ArrayList<>();
        new MessageExtractor(1750000000L).extract("c", "u", DocumentSource.of(doc.getBytes(StandardCharsets.UTF_8)), new ExtractionSink() {
            @Override public void row(MessageRow row) { rows.add(row); }
            @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) {
                throw new AssertionError(reason + " " + detail);
            }
            @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) {
                throw new AssertionError(reason + " " + detail);
            }
        });
        return rows;
    }

    /** Tuples of a binary COPY body (no header, no trailer): each a list of fields, null for SQL NULL. */
    private static List<List<byte[]>> decode(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        List<List<byte[]>> tuples = new ArrayList<>();
        while (in.hasRemaining()) {
            int fields = in.getShort();
            List<byte[]> t = new ArrayList<>();
            for (int i = 0; i < fields; i++) {
                int n = in.getInt();
                if (n < 0) {
                    t.add(null);
                } else {
                    byte[] v = new byte[n];
                    in.get(v);
                    t.add(v);
                }
            }
            tuples.add(t);
        }
        return tuples;
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
