package org.pgbackfill.verify;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rows {@code chat_message} holds for one range of chat ids, read in the caller's snapshot with
 * {@code COPY … TO STDOUT (FORMAT binary)} and hashed as they stream in: only each row's id, digest
 * and timestamps are kept (about 150 bytes a row), never its values, so a range of large messages
 * costs little memory. The values of a row found to differ are fetched again by id
 * ({@link #fetch}) to say what differs.
 */
final class StoredRows {
    /** A stored row as kept while its chat is compared. */
    record StoredRow(String id, RowDigest digest, Long createdAt, Long updatedAt) { }

    /** Columns in the order read; the JSON columns in {@link org.pgbackfill.extract.MessageRow#JSON_COLUMNS} order. */
    private static final String COLUMNS = "id, chat_id, user_id, role, parent_id, model_id, content, output, files, sources, "
        + "embeds, status_history, error, usage, done, created_at, updated_at";
    private static final int FIELDS = 17;

    private final Map<String, Map<String, StoredRow>> byChat = new HashMap<>();
    private long count;

    private StoredRows() { }

    /**
     * Reads the rows matching {@code where} (a predicate on chat_message's columns). A second row
     * with the same id for the same chat (only possible without the primary key) is reported to
     * {@code log} as an extra row.
     */
    static StoredRows read(Connection conn, String where, RowEncoder encoder, MismatchLog log) throws SQLException, IOException {
        StoredRows rows = new StoredRows();
        CopyOut out = conn.unwrap(PGConnection.class).getCopyAPI()
            .copyOut("COPY (SELECT " + COLUMNS + " FROM chat_message WHERE " + where + ") TO STDOUT (FORMAT binary)");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new PGCopyInputStream(out), 1 << 16))) {
            in.skipNBytes(11 + 4);          // signature, flags
            in.skipNBytes(in.readInt());    // header extension
            while (true) {
                short fields = in.readShort();
                if (fields == -1) break;
                if (fields != FIELDS) throw new IOException("unexpected COPY row with " + fields + " fields");
                byte[][] f = new byte[FIELDS][];
                for (int i = 0; i < FIELDS; i++) {
                    int n = in.readInt();
                    if (n >= 0) {
                        f[i] = new byte[n];
                        in.readFully(f[i]);
                    }
                }
                rows.add(values(f), encoder, log);
            }
            while (in.read() >= 0) { }      // drain to the end of the COPY
        } finally {
            if (out.isActive()) out.cancelCopy();
        }
        return rows;
    }

    private static StoredValues values(byte[][] f) {
        byte[][] json = new byte[8][];
        System.arraycopy(f, 6, json, 0, 8);
        Boolean done = f[14] == null ? null : f[14][0] != 0;
        return new StoredValues(text(f[0]), text(f[1]), text(f[2]), text(f[3]), text(f[4]), text(f[5]), json, done,
            int8(f[15]), int8(f[16]));
    }

    private void add(StoredValues v, RowEncoder encoder, MismatchLog log) {
        count++;
        StoredRow row = new StoredRow(v.id(), encoder.digest(v), v.createdAt(), v.updatedAt());
        if (byChat.computeIfAbsent(v.chatId(), k -> new LinkedHashMap<>()).putIfAbsent(v.id(), row) != null) {
            log.add(new Mismatch(Mismatch.Kind.EXTRA_ROW, v.chatId(), v.id(), "the id is stored more than once"));
        }
    }

    /** The rows of one chat, taken out (what is left at the end belongs to chats that were not read); never null. */
    Map<String, StoredRow> take(String chatId) {
        Map<String, StoredRow> m = byChat.remove(chatId);
        return m == null ? new HashMap<>() : m;
    }

    /** Rows of chats never taken, by chat id. */
    Map<String, Map<String, StoredRow>> leftover() { return byChat; }

    long count() { return count; }

    /** One stored row's values, again, to describe how it differs; null if it is gone. */
    static StoredValues fetch(Connection conn, String id, String chatId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT id, chat_id, user_id, role, parent_id, model_id, "
                + "content::text, output::text, files::text, sources::text, embeds::text, status_history::text, error::text, "
                + "usage::text, done, created_at, updated_at FROM chat_message WHERE id = ? AND chat_id = ?")) {
            ps.setString(1, id);
            ps.setString(2, chatId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                byte[][] json = new byte[8][];
                for (int i = 0; i < 8; i++) {
                    String s = rs.getString(7 + i);
                    json[i] = s == null ? null : s.getBytes(StandardCharsets.UTF_8);
                }
                boolean done = rs.getBoolean(15);
                Boolean doneValue = rs.wasNull() ? null : done;
                return new StoredValues(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                    rs.getString(6), json, doneValue, (Long) rs.getObject(16, Long.class), (Long) rs.getObject(17, Long.class));
            }
        }
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static Long int8(byte[] b) {
        if (b == null) return null;
        long v = 0;
        for (byte x : b) v = (v << 8) | (x & 0xff);
        return v;
    }
}
