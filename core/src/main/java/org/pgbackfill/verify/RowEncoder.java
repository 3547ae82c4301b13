package org.pgbackfill.verify;

import org.pgbackfill.extract.MessageRow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Puts an expected row (a {@link MessageRow} from the production extractor) and a stored row
 * ({@link StoredValues}) into the same canonical form, column by column, so that both can be
 * hashed and compared by content: TEXT columns as they are, {@code done} as a boolean, JSON
 * columns through {@link CanonicalJson}. SQL NULL ({@code N}) and the JSON literal {@code null}
 * ({@code J n}) stay distinct, as SPEC.md section 3 requires. {@code created_at} and
 * {@code updated_at} are left out of the digest: whether they match can depend on the run's "now"
 * ({@link CreatedAtRule}). Not thread-safe: one per worker.
 */
final class RowEncoder {
    /** chat_message's columns in table order; the first {@link #BODY_COLUMNS} are hashed. */
    static final String[] COLUMNS = {"id", "chat_id", "user_id", "role", "parent_id", "content", "output", "model_id",
        "files", "sources", "embeds", "done", "status_history", "error", "usage", "created_at", "updated_at"};
    static final int BODY_COLUMNS = 15;
    /** For each column, its index in {@link MessageRow#JSON_COLUMNS}, or -1 when it is not a JSON column. */
    private static final int[] JSON_INDEX = {-1, -1, -1, -1, -1, 0, 1, -1, 2, 3, 4, -1, 5, 6, 7, -1, -1};

    private final CanonicalJson json = new CanonicalJson();
    private final CanonicalOutput out = new CanonicalOutput();
    private final MessageDigest sha;

    RowEncoder() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    static boolean isJson(int column) { return JSON_INDEX[column] >= 0; }

    RowDigest digest(MessageRow r) {
        out.reset();
        for (int c = 0; c < BODY_COLUMNS; c++) encode(r, c, out);
        return finish();
    }

    RowDigest digest(StoredValues s) {
        out.reset();
        for (int c = 0; c < BODY_COLUMNS; c++) encode(s, c, out);
        return finish();
    }

    /** The canonical form of one body column of an expected row. */
    byte[] column(MessageRow r, int c) {
        CanonicalOutput o = new CanonicalOutput();
        encode(r, c, o);
        return o.toByteArray();
    }

    /** The canonical form of one body column of a stored row. */
    byte[] column(StoredValues s, int c) {
        CanonicalOutput o = new CanonicalOutput();
        encode(s, c, o);
        return o.toByteArray();
    }

    private void encode(MessageRow r, int c, CanonicalOutput o) {
        switch (c) {
            case 0 -> text(r.id, o);
            case 1 -> text(r.chatId, o);
            case 2 -> text(r.userId, o);
            case 3 -> text(r.role, o);
            case 4 -> text(r.parentId, o);
            case 7 -> text(r.modelId, o);
            case 11 -> bool(r.done, o);
            default -> {
                int j = JSON_INDEX[c];
                o.put('J');
                if (r.jsonStart(j) < 0) {
                    o.put('n');   // a missing key or JSON null: the JSON literal null
                } else {
                    jsonValue(r.messageJson, r.jsonStart(j), r.jsonEnd(j) - r.jsonStart(j), o);
                }
            }
        }
    }

    private void encode(StoredValues s, int c, CanonicalOutput o) {
        switch (c) {
            case 0 -> text(s.id(), o);
            case 1 -> text(s.chatId(), o);
            case 2 -> text(s.userId(), o);
            case 3 -> text(s.role(), o);
            case 4 -> text(s.parentId(), o);
            case 7 -> text(s.modelId(), o);
            case 11 -> bool(s.done(), o);
            default -> {
                byte[] v = s.json()[JSON_INDEX[c]];
                if (v == null) {
                    o.put('N');
                } else {
                    o.put('J');
                    jsonValue(v, 0, v.length, o);
                }
            }
        }
    }

    private static void text(String v, CanonicalOutput o) {
        if (v == null) {
            o.put('N');
        } else {
            o.put('T');
            o.string(v);
        }
    }

    private static void bool(Boolean v, CanonicalOutput o) {
        o.put(v == null ? 'N' : v ? 't' : 'f');
    }

    /** Text that is not JSON cannot be stored in a json column; if it ever is, it compares as raw text (and differs). */
    private void jsonValue(byte[] b, int off, int len, CanonicalOutput o) {
        int mark = o.length();
        try {
            json.append(b, off, len, o);
        } catch (IOException e) {
            o.truncate(mark);
            o.put('X');
            o.string(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    private RowDigest finish() {
        sha.reset();
        out.digestInto(sha);
        byte[] d = sha.digest();
        long hi = 0, lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (d[i] & 0xff);
            lo = (lo << 8) | (d[8 + i] & 0xff);
        }
        return new RowDigest(hi, lo);
    }
}
