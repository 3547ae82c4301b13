package org.pgbackfill.schema;

import org.pgbackfill.run.ControlTables;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The merge phase: staged rows into {@code chat_message}, one range per transaction, several
 * ranges at once on their own connections (set-based {@code INSERT … SELECT}; the table has only
 * its primary key at this point, so there is one index to maintain).
 *
 * <p>Two chats can produce the same row id ({@code 'a' + '-' + 'b-c'} = {@code 'a-b' + '-' + 'c'}).
 * Upstream inserts in chat id order with {@code ON CONFLICT DO NOTHING}, so the chat with the
 * lowest id wins and the other row is silently lost. Here a merge that inserts fewer rows than it
 * staged sets the losers aside; {@link #resolveCollisions} then keeps upstream's winner and
 * records every other row as a {@code DUPLICATE_ID} rejection.
 *
 * <p>A value longer than a btree entry can hold (about 2.7 kB after compression) makes upstream's
 * INSERT fail (the primary key) or its CREATE INDEX abort the migration. Rows with a long indexed
 * value are rare, so they are merged one by one after a trial insert into a temporary table that
 * has all eight indexes; PostgreSQL itself judges whether they fit, and those that do not are
 * recorded as {@code INDEX_ROW_TOO_LARGE} rejections.
 */
public final class StagingMerge {
    private final ControlTables control;
    private final String idCollation;
    private final String toastCompression;

    public StagingMerge(ControlTables control, String idCollation, String toastCompression) {
        this.control = control;
        this.idCollation = idCollation;
        this.toastCompression = toastCompression;
    }

    private String collisions() { return control.schema() + ".collision"; }

    /** Creates chat_message exactly as upstream does (primary key only) and the collision table, unless there already. */
    public void createTarget(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE.replace("CREATE TABLE chat_message", "CREATE TABLE IF NOT EXISTS chat_message"));
            st.execute("CREATE TABLE IF NOT EXISTS " + collisions() + " (LIKE " + control.staging() + ")");
        }
    }

    /**
     * Merges loaded ranges, {@code parallel} at a time, until none is left to take; returns the rows
     * inserted. Each range is taken with {@code FOR UPDATE SKIP LOCKED} and merged and marked
     * merged in that same transaction, so several processes can share the work and a process that
     * dies mid-merge leaves the range to the next taker, with nothing half-done.
     */
    public long mergeAll(ConnectionSource db, int parallel, long runId, java.util.function.BooleanSupplier stopping,
                         java.util.function.LongConsumer mergedRows) throws Exception {
        AtomicLong inserted = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel), r -> {
            Thread t = new Thread(r, "pgbackfill-merge");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < Math.max(1, parallel); i++) {
                futures.add(pool.submit(() -> {
                    try (Connection c = db.connection()) {
                        long n;
                        while (!stopping.getAsBoolean() && (n = mergeNext(c, runId)) >= 0) {
                            inserted.addAndGet(n);
                            mergedRows.accept(n);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
        return inserted.get();
    }

    /** Takes one loaded range and merges it; -1 when none is free. */
    private long mergeNext(Connection c, long runId) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            int rangeId, attempt;
            try (var rs = st.executeQuery("SELECT range_id, attempt FROM " + control.schema() + ".range WHERE run_id = " + runId
                    + " AND state = 'loaded' ORDER BY range_id LIMIT 1 FOR UPDATE SKIP LOCKED")) {
                if (!rs.next()) {
                    c.commit();
                    return -1;
                }
                rangeId = rs.getInt(1);
                attempt = rs.getInt(2);
            }
            long inserted = mergeRange(c, rangeId, attempt, runId);
            st.executeUpdate("UPDATE " + control.schema() + ".range SET state = 'merged' WHERE run_id = " + runId + " AND range_id = " + rangeId);
            c.commit();
            return inserted;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Supplies connections (the run's pool). */
    public interface ConnectionSource { Connection connection() throws SQLException; }

    /** Merges a range's final attempt, in the caller's transaction; rows and rejections of earlier attempts are dropped. */
    private long mergeRange(Connection c, int rangeId, int attempt, long runId) throws SQLException {
        String partition = control.stagingPartition(rangeId);
        try (Statement st = c.createStatement()) {
            if (toastCompression != null) st.execute("SET LOCAL default_toast_compression = " + toastCompression);
            st.execute("SET LOCAL synchronous_commit = off");
            st.executeUpdate("DELETE FROM " + partition + " WHERE attempt <> " + attempt);
            for (String t : new String[] {"rejected_message", "rejected_chat"}) {
                st.executeUpdate("DELETE FROM " + control.schema() + "." + t + " WHERE run_id = " + runId + " AND range_id = "
                    + rangeId + " AND attempt <> " + attempt);
            }
            long staged;
            try (var rs = st.executeQuery("SELECT count(*) FROM " + partition)) {
                rs.next();
                staged = rs.getLong(1);
            }
            long inserted = st.executeUpdate("INSERT INTO chat_message (" + TargetSchema.COLUMNS + ") SELECT "
                + TargetSchema.COLUMNS + " FROM " + partition + " s WHERE " + TargetSchema.FITS_INDEXES + " ON CONFLICT (id) DO NOTHING");
            long[] longRows = mergeLongRows(c, partition, runId);
            inserted += longRows[0];
            if (inserted < staged - longRows[1]) {
                st.executeUpdate("INSERT INTO " + collisions() + " SELECT * FROM " + partition + " s WHERE NOT EXISTS "
                    + "(SELECT 1 FROM chat_message m WHERE m.id = s.id AND m.chat_id = s.chat_id)");
            }
            st.execute("TRUNCATE " + partition);
            return inserted;
        }
    }

    /** Merges the rows with long indexed values one by one; returns {inserted, rejected}. */
    private long[] mergeLongRows(Connection c, String partition, long runId) throws SQLException {
        List<String> ctids = new java.util.ArrayList<>();
        try (Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT ctid::text FROM " + partition + " s WHERE NOT " + TargetSchema.FITS_INDEXES)) {
            while (rs.next()) ctids.add(rs.getString(1));
        }
        if (ctids.isEmpty()) return new long[2];
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS pgbackfill_probe (LIKE chat_message) ON COMMIT DELETE ROWS");
            st.execute("CREATE INDEX IF NOT EXISTS pgbackfill_probe_id ON pg_temp.pgbackfill_probe (id)");
            for (String[] ix : TargetSchema.INDEXES) {
                st.execute(ix[1].replace("CREATE INDEX " + ix[0] + " ON chat_message",
                    "CREATE INDEX IF NOT EXISTS probe_" + ix[0] + " ON pg_temp.pgbackfill_probe"));
            }
        }
        long inserted = 0, rejected = 0;
        String row = " FROM " + partition + " s WHERE s.ctid = ?::tid";
        try (var probe = c.prepareStatement("INSERT INTO pg_temp.pgbackfill_probe (" + TargetSchema.COLUMNS + ") SELECT " + TargetSchema.COLUMNS + row);
             var insert = c.prepareStatement("INSERT INTO chat_message (" + TargetSchema.COLUMNS + ") SELECT " + TargetSchema.COLUMNS + row
                 + " ON CONFLICT (id) DO NOTHING");
             var reject = c.prepareStatement("INSERT INTO " + control.schema() + ".rejected_message "
                 + "(run_id, chat_id, message_key, reason, detail, raw_json) SELECT " + runId + ", s.chat_id, "
                 + "substr(s.id, length(s.chat_id) + 2), 'INDEX_ROW_TOO_LARGE', ?, " + TargetSchema.rawMessageJson("s") + row);
             var delete = c.prepareStatement("DELETE FROM " + partition + " s WHERE s.ctid = ?::tid")) {
            for (String ctid : ctids) {
                java.sql.Savepoint sp = c.setSavepoint();
                try {
                    probe.setString(1, ctid);
                    probe.executeUpdate();
                    insert.setString(1, ctid);
                    inserted += insert.executeUpdate();
                    c.releaseSavepoint(sp);
                } catch (SQLException e) {
                    c.rollback(sp);
                    if (!"54000".equals(e.getSQLState())) throw e;   // program_limit_exceeded: index row too large
                    reject.setString(1, e.getMessage());
                    reject.setString(2, ctid);
                    reject.executeUpdate();
                    delete.setString(1, ctid);
                    delete.executeUpdate();
                    rejected++;
                }
            }
        }
        return new long[] {inserted, rejected};
    }

    /**
     * Keeps, for every colliding id, the row of the chat with the lowest id in chat.id's collation
     * (upstream's insert order) and records the others as rejections. Returns the rejections.
     */
    public long resolveCollisions(Connection c, long runId) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            String cols = TargetSchema.COLUMNS;
            st.execute("CREATE TEMP TABLE pgbackfill_candidates ON COMMIT DROP AS SELECT *, row_number() OVER "
                + "(PARTITION BY id ORDER BY chat_id COLLATE " + idCollation + ") AS rank FROM ("
                + "SELECT " + cols + " FROM chat_message WHERE id IN (SELECT id FROM " + collisions() + ") "
                + "UNION ALL SELECT " + cols + " FROM " + collisions() + ") c");
            st.executeUpdate("DELETE FROM chat_message WHERE id IN (SELECT id FROM " + collisions() + ")");
            st.executeUpdate("INSERT INTO chat_message (" + cols + ") SELECT " + cols + " FROM pgbackfill_candidates WHERE rank = 1");
            int rejected = st.executeUpdate("INSERT INTO " + control.schema() + ".rejected_message "
                + "(run_id, chat_id, message_key, reason, detail, raw_json) SELECT " + runId + ", l.chat_id, "
                + "substr(l.id, length(l.chat_id) + 2), 'DUPLICATE_ID', 'row id ' || l.id || ' is also produced by chat ' "
                + "|| w.chat_id || ', which comes first in chat id order and keeps it', "
                + TargetSchema.rawMessageJson("l")
                + " FROM pgbackfill_candidates l JOIN pgbackfill_candidates w ON w.id = l.id AND w.rank = 1 WHERE l.rank > 1");
            st.execute("TRUNCATE " + collisions());
            c.commit();
            return rejected;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
