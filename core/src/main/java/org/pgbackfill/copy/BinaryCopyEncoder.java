package org.pgbackfill.copy;

import org.pgbackfill.extract.MessageRow;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes chat_message rows in PostgreSQL's binary COPY format into a growable buffer.
 *
 * <p>Binary because every value is sent as it is stored: the JSON columns are the message's own
 * bytes (no escaping, no quoting), integers and booleans fixed-width. Layout of a row: int16 field count,
 * then per field int32 length (-1 for NULL) and the bytes, in chat_message's column order
 * ({@link org.pgbackfill.schema.TargetSchema#COLUMNS}). The caller hands the buffer to the COPY stream
 * and clears it every megabyte or so, so it stays small.
 */
public final class BinaryCopyEncoder {
    public static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    public static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};
    private static final int FIELDS = 17;

    private byte[] buf = new byte[1 << 16];
    private int len;

    public void append(MessageRow r) {
        ensure(r.messageJson.length + 256);
        putShort(FIELDS);
        text(r.id);
        text(r.chatId);
        text(r.userId);
        text(r.role);
        text(r.parentId);
        json(r, 0);          // content
        json(r, 1);          // output
        text(r.modelId);
        json(r, 2);          // files
        json(r, 3);          // sources
        json(r, 4);          // embeds
        if (r.done == null) {
            putInt(-1);
        } else {
            putInt(1);
            put(r.done ? (byte) 1 : (byte) 0);
        }
        json(r, 5);          // status_history
        json(r, 6);          // error
        json(r, 7);          // usage
        putInt(8);
        putLong(r.createdAt);
        putInt(8);
        putLong(r.createdAt);   // updated_at = created_at (SPEC.md section 3)
    }

    private static final byte[] NULL_JSON = "null".getBytes(StandardCharsets.US_ASCII);

    private void json(MessageRow r, int column) {
        int s = r.jsonStart(column);
        if (s < 0) {
            putInt(NULL_JSON.length);
            putBytes(NULL_JSON, 0, NULL_JSON.length);
        } else {
            int n = r.jsonEnd(column) - s;
            putInt(n);
            putBytes(r.messageJson, s, n);
        }
    }

    private void text(String s) {
        if (s == null) {
            putInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(b.length);
        putBytes(b, 0, b.length);
    }

    public byte[] buffer() { return buf; }
    public int length() { return len; }

    public void clear() {
        len = 0;
        if (buf.length > 1 << 22) buf = new byte[1 << 16];   // give back what one huge row took
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }

    private void put(byte b) { ensure(1); buf[len++] = b; }

    private void putShort(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void putInt(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    private void putBytes(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }
}
