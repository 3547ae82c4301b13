package org.pgbackfill.source;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cuts the {@code chat.id} keyspace into ranges of about equal document bytes, from a sample.
 *
 * <p>Sizes are heavily skewed (a few chats hold most of the bytes), so equal row counts would
 * leave one worker with most of the work. The sample ({@code TABLESAMPLE SYSTEM}, reading only
 * a fraction of the heap, never the TOASTed documents) gives each sampled chat's stored size
 * ({@code pg_column_size}, read from the TOAST pointer); cut points are taken at equal shares of
 * the cumulative size. The sample is sorted by PostgreSQL ({@code ORDER BY id}, the column's
 * collation), and the cut points are sampled ids used as literals: the ranges tile the keyspace
 * in the database's own order whatever the collation, so no chat is dropped or read twice.
 */
public final class RangePlanner {
    /** Rows to sample: enough for hundreds of ranges, cheap on any table. */
    static final int SAMPLE_ROWS = 30_000;
    /** A fixed cost per chat (row overhead), so ranges of many tiny chats are not oversized. */
    public static final long PER_CHAT_BYTES = 256;

    /** The plan: ranges in key order, and the estimated total bytes of documents. */
    public record Plan(List<KeyRange> ranges, long estimatedBytes, long estimatedChats) { }

    private final int targetRanges;
    private final long maxRangeBytes;
    private final int sampleRows;
    private final Scope scope;

    public RangePlanner(int targetRanges, long maxRangeBytes, Scope scope) {
        this(targetRanges, maxRangeBytes, SAMPLE_ROWS, scope);
    }

    RangePlanner(int targetRanges, long maxRangeBytes, int sampleRows, Scope scope) {
        this.scope = scope;
        this.targetRanges = Math.max(1, targetRanges);
        this.maxRangeBytes = maxRangeBytes;
        this.sampleRows = sampleRows;
    }

    public Plan plan(Connection c) throws SQLException {
        long rows = estimatedRows(c);
        double percent = rows <= sampleRows ? 100.0 : Math.max(0.0001, 100.0 * sampleRows / rows);
        String from = percent >= 100.0 ? "chat"
            : String.format(Locale.ROOT, "chat TABLESAMPLE SYSTEM (%.6f) REPEATABLE (42)", percent);
        List<String> ids = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        long total = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(10_000);
            try (ResultSet rs = st.executeQuery("SELECT id, coalesce(pg_column_size(chat), 0) FROM " + from
                    + " WHERE " + scope.predicate() + " ORDER BY id")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                    long w = rs.getLong(2) + PER_CHAT_BYTES;
                    weights.add(w);
                    total += w;
                }
            }
        }
        double scale = 100.0 / percent;
        long estimatedBytes = (long) (total * scale);
        int count = (int) Math.max(targetRanges, maxRangeBytes <= 0 ? 1 : (estimatedBytes + maxRangeBytes - 1) / maxRangeBytes);
        count = Math.max(1, Math.min(count, ids.size()));
        List<KeyRange> ranges = new ArrayList<>();
        String lo = null;
        long acc = 0, rangeAcc = 0;
        int next = 1;
        for (int i = 0; i < ids.size() && next < count; i++) {
            acc += weights.get(i);
            rangeAcc += weights.get(i);
            if (acc >= (double) total * next / count) {
                ranges.add(new KeyRange(ranges.size(), lo, ids.get(i), (long) (rangeAcc * scale)));
                lo = ids.get(i);
                rangeAcc = 0;
                next++;
            }
        }
        ranges.add(new KeyRange(ranges.size(), lo, null, (long) ((total - acc + rangeAcc) * scale)));
        return new Plan(ranges, estimatedBytes, (long) (ids.size() * scale));
    }

    private static long estimatedRows(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT reltuples::bigint FROM pg_class WHERE oid = 'chat'::regclass")) {
            rs.next();
            long n = rs.getLong(1);
            if (n > 0) return n;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM chat")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
