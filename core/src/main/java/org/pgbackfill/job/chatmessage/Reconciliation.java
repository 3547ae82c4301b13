package org.pgbackfill.job.chatmessage;

import org.pgbackfill.job.RangeDifference;

import org.pgbackfill.schema.TargetSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Before the loaded ranges are settled (and so before anything can be stamped): the rows actually
 * in {@code chat_message}, range by range, against the rows each range recorded as committed; and,
 * offline, the chats in {@code chat} against the chats each range read. A range recorded as loaded
 * without its rows (or with rows of another attempt) shows up here, whatever the cause.
 *
 * <p>One pass over each table: every row's range is found by a binary search of the ranges' upper
 * bounds ({@code width_bucket} over the sorted bounds, in chat.id's collation), then counted per
 * range. chat_message has no index yet at this point, so a pass is a sequential scan.
 */
final class Reconciliation {
    private record Range(int id, String lo, String hi, long rows, long chats) { }

    /**
     * What the pass found: the ranges that differ, and how many rows have indexed values long
     * enough to need judging one by one before the build ({@link org.pgbackfill.schema.TargetTable#judgeLongRows}).
     */
    record Result(List<RangeDifference> differences, long longIndexRows) { }

    private Reconciliation() { }

    /**
     * @param checkChats whether chat must still hold the chats the ranges read (offline: nothing
     *                   writes to chat; online, the catch-up handles what changed)
     */
    static Result check(Connection c, String schema, long runId, String idCollation, boolean checkChats) throws SQLException {
        List<Range> ranges = new ArrayList<>();   // in key order: range k holds the values above k of the sorted upper bounds
        try (PreparedStatement ps = c.prepareStatement("SELECT range_id, lo, hi, coalesce(rows_staged, 0), coalesce(chats, 0) FROM "
                + schema + ".range WHERE run_id = ? ORDER BY hi COLLATE " + idCollation + " NULLS LAST")) {
            ps.setLong(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ranges.add(new Range(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5)));
            }
        }
        Counts rowCounts = countByRange(c, schema, runId, idCollation, "chat_message", "chat_id", "TRUE", true);
        Map<Integer, Long> rows = rowCounts.perRange();
        Map<Integer, Long> chats = checkChats
            ? countByRange(c, schema, runId, idCollation, "chat", "id", ChatMessageJob.SCOPE.predicate(), false).perRange() : Map.of();
        List<RangeDifference> differences = new ArrayList<>();
        long outside = rows.keySet().stream().filter(k -> k < 0 || k >= ranges.size()).mapToLong(rows::get).sum();
        if (outside > 0) throw new SQLException(outside + " rows of chat_message belong to no range of run " + runId, "XX000");
        for (int k = 0; k < ranges.size(); k++) {
            Range r = ranges.get(k);
            long actualRows = rows.getOrDefault(k, 0L);
            long actualChats = checkChats ? chats.getOrDefault(k, 0L) : r.chats();
            if (actualRows != r.rows() || actualChats != r.chats()) {
                differences.add(new RangeDifference("chat_message", r.id(), r.lo(), r.hi(), r.rows(), actualRows, r.chats(), actualChats));
            }
        }
        return new Result(differences, rowCounts.longIndexRows());
    }

    /** Rows per range (by its index in key order), and of those the rows with long indexed values (when counted). */
    private record Counts(Map<Integer, Long> perRange, long longIndexRows) { }

    /**
     * Rows of {@code table} where {@code filter}, counted by the index (in key order) of the range their {@code column} falls in;
     * with {@code countLongValues}, the same pass counts chat_message's rows whose indexed values are long.
     */
    private static Counts countByRange(Connection c, String schema, long runId, String collation, String table, String column,
                                       String filter, boolean countLongValues) throws SQLException {
        String v = "x." + column + "::text COLLATE " + collation;   // ::text: chat.id is varchar, and width_bucket wants one type (13)
        // width_bucket counts the bounds <= v; a range is (lo, hi], so a value equal to a bound belongs to the range below it
        String sql = "WITH t AS (SELECT array_agg(hi COLLATE " + collation + " ORDER BY hi COLLATE " + collation + ") AS bounds FROM "
            + schema + ".range WHERE run_id = ? AND hi IS NOT NULL), "
            + "b AS (SELECT coalesce(width_bucket(" + v + ", t.bounds), 0) AS w, " + v + " AS v, t.bounds, "
            + (!countLongValues ? "FALSE" : "NOT " + TargetSchema.fitsIndexes("x")) + " AS long_values FROM " + table
            + " x, t WHERE " + filter + ") "
            + "SELECT w - (CASE WHEN w > 0 AND v = bounds[w] THEN 1 ELSE 0 END) AS k, count(*), count(*) FILTER (WHERE long_values) FROM b GROUP BY 1";
        Map<Integer, Long> counts = new HashMap<>();
        long longValues = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.merge(rs.getInt(1), rs.getLong(2), Long::sum);
                    longValues += rs.getLong(3);
                }
            }
        }
        return new Counts(counts, longValues);
    }
}
