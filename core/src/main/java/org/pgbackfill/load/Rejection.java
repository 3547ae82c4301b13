package org.pgbackfill.load;

import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.run.ControlTables;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** A rejected message ({@code messageKey} set) or chat ({@code messageKey} null), as stored in the rejection tables. */
public record Rejection(String chatId, String messageKey, RejectReason reason, String detail, byte[] raw) {

    /**
     * Inserts rejections into the run's tables, in the caller's transaction; {@code claims.get(i)}
     * is the range attempt that produced rejection i, or null (the catch-up of an online run).
     */
    public static void insertAll(Connection c, String schema, long runId, List<Rejection> rejections, List<ControlTables.Claim> claims)
            throws SQLException {
        if (rejections.isEmpty()) return;
        try (PreparedStatement m = c.prepareStatement("INSERT INTO " + schema + ".rejected_message (run_id, range_id, attempt, chat_id, "
                 + "message_key, reason, detail, raw_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
             PreparedStatement ch = c.prepareStatement("INSERT INTO " + schema + ".rejected_chat (run_id, range_id, attempt, chat_id, "
                 + "reason, detail, raw_prefix) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < rejections.size(); i++) {
                Rejection r = rejections.get(i);
                ControlTables.Claim claim = claims == null ? null : claims.get(i);
                PreparedStatement ps = r.messageKey() != null ? m : ch;
                int k = 1;
                ps.setLong(k++, runId);
                if (claim == null) {
                    ps.setNull(k++, java.sql.Types.INTEGER);
                    ps.setNull(k++, java.sql.Types.INTEGER);
                } else {
                    ps.setInt(k++, claim.range().id());
                    ps.setInt(k++, claim.attempt());
                }
                ps.setString(k++, r.chatId());
                if (r.messageKey() != null) ps.setString(k++, textSafe(r.messageKey()));
                ps.setString(k++, r.reason().name());
                ps.setString(k++, textSafe(r.detail()));
                ps.setString(k, r.raw() == null ? null : new String(r.raw(), StandardCharsets.UTF_8).replace("\u0000", "\\u0000"));
                ps.addBatch();
            }
            m.executeBatch();
            ch.executeBatch();
        }
    }

    /** TEXT cannot hold NUL or lone surrogates: the rejection tables keep such keys escaped. */
    static String textSafe(String s) {
        if (s == null) return null;
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean bad = ch == 0 || Character.isSurrogate(ch)
                && !(Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                && !(Character.isLowSurrogate(ch) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
            if (bad && b == null) b = new StringBuilder(s.substring(0, i));
            if (b != null) {
                if (bad) b.append(String.format("\\u%04x", (int) ch)); else b.append(ch);
            }
        }
        return b == null ? s : b.toString();
    }
}
