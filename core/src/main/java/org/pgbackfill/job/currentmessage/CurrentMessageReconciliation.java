package org.pgbackfill.job.currentmessage;

import org.pgbackfill.job.RangeDifference;
import org.pgbackfill.source.KeyRange;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Before the loaded ranges are settled: per range, what its last attempt recorded (its summary row
 * and its range row) against what the tables hold: staging rows of that attempt, its rejected chats,
 * and staged + rejected + unchanged = chats read; offline also the chats read against the chats
 * {@code chat} holds in the range. A range whose staging rows are gone (UNLOGGED staging is emptied
 * by a server crash) or short shows up here and is loaded again.
 */
final class CurrentMessageReconciliation {
    private CurrentMessageReconciliation() { }

    static List<RangeDifference> check(Connection c, StagingTables tables, String schema, long runId, boolean checkChats)
            throws SQLException {
        List<RangeDifference> out = new ArrayList<>();
        // one pass over staging and one over rejected_chat, counted per range and attempt
        String sql = "WITH st AS (SELECT range_id, attempt, count(*) AS n FROM " + tables.staging() + " GROUP BY 1, 2), "
            + "rj AS (SELECT range_id, attempt, count(*) AS n FROM " + schema + ".rejected_chat WHERE run_id = ? GROUP BY 1, 2) "
            + "SELECT r.range_id, r.lo, r.hi, coalesce(r.chats, 0), coalesce(r.rows_staged, 0), s.range_id IS NOT NULL, "
            + "coalesce(s.staged, -1), coalesce(s.rejected, -1), coalesce(s.unchanged, -1), coalesce(s.chats, -1), "
            + "coalesce(st.n, 0), coalesce(rj.n, 0) "
            + "FROM " + schema + ".range r LEFT JOIN " + tables.ranges() + " s ON s.run_id = r.run_id AND s.range_id = r.range_id "
            + "AND s.attempt = r.attempt LEFT JOIN st ON st.range_id = r.range_id AND st.attempt = r.attempt "
            + "LEFT JOIN rj ON rj.range_id = r.range_id AND rj.attempt = r.attempt WHERE r.run_id = ? ORDER BY r.range_id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, runId);
            ps.setLong(2, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int id = rs.getInt(1);
                    String lo = rs.getString(2), hi = rs.getString(3);
                    long chats = rs.getLong(4), rowsStaged = rs.getLong(5);
                    boolean summarized = rs.getBoolean(6);
                    long staged = rs.getLong(7), rejected = rs.getLong(8), unchanged = rs.getLong(9), summaryChats = rs.getLong(10);
                    long actualStaged = rs.getLong(11), actualRejected = rs.getLong(12);
                    long accounted = summarized ? actualStaged + actualRejected + unchanged : -1;
                    long actualChats = checkChats ? chatsIn(c, new KeyRange(id, lo, hi, 0)) : chats;
                    boolean same = summarized && staged == rowsStaged && summaryChats == chats && actualStaged == staged
                        && actualRejected == rejected && accounted == chats && actualChats == chats;
                    if (!same) {
                        out.add(new RangeDifference("current_message_staging", id, lo, hi, rowsStaged, actualStaged, chats,
                            summarized && actualChats == chats ? accounted : actualChats));
                    }
                }
            }
        }
        return out;
    }

    /** The chats of {@code chat} in the range (chat_pkey answers in chat.id's collation, as the readers select them). */
    static long chatsIn(Connection c, KeyRange range) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM chat WHERE " + range.predicate());
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
