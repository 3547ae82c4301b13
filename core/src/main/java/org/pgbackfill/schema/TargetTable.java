package org.pgbackfill.schema;

import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * chat_message while the run owns it: created without its primary key (the load copies rows
 * straight in, with no index to maintain), then put right before its indexes can be built.
 *
 * <p>Two chats can produce the same row id ({@code 'a' + '-' + 'b-c'} = {@code 'a-b' + '-' + 'c'}).
 * Upstream reads {@code chat} with no ORDER BY (a sequential scan: physical order) and inserts
 * row by row, so the chat that comes first in {@code chat}'s physical order ({@link #chatOrder})
 * wins and the other row is lost (SPEC 6.2). {@link #resolveCollisions} keeps upstream's winner and
 * records every other row as a {@code DUPLICATE_ID} rejection.
 *
 * <p>A value longer than a btree entry can hold (about 2.7 kB after compression) makes upstream's
 * INSERT fail. {@link #judgeLongRows} judges the rows with long indexed values the way upstream's
 * INSERT does; those that do not fit are recorded as {@code INDEX_ROW_TOO_LARGE} rejections and
 * removed.
 *
 * <p>Both are rare. Collisions are resolved only when building the primary key failed on them; long
 * values are judged when the reconciliation's pass over the table counted some (or could not count).
 */
public final class TargetTable {
    private final String schema;
    private final String idCollation;

    public TargetTable(String schema, String idCollation) {
        this.schema = schema;
        this.idCollation = idCollation;
    }

    /** Creates chat_message for the load (upstream's columns, no key yet), unless there already. */
    public static void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE_FOR_LOAD.replace("CREATE TABLE chat_message", "CREATE TABLE IF NOT EXISTS chat_message"));
        }
    }

    /** What {@link #judgeLongRows} did: rows rejected (and removed), and whether any row changed (rewritten or removed). */
    public record Judged(long rejected, boolean changed) { }

    /** chat_message's indexed TEXT columns, each given as a new, uncompressed value (alias {@code s}). */
    private static final String FRESH_INDEXED_VALUES = "s.id || '', s.chat_id || '', s.user_id || '', s.parent_id || '', s.model_id || ''";

    /**
     * Judges every row with a long indexed value as upstream's INSERT does (SPEC 6): upstream
     * creates the indexes first and inserts row by row, so each index entry is formed from the new
     * value and compressed with the server's {@code default_toast_compression} (pglz unless
     * configured), and must fit a btree page's limit. Here each such row is inserted, with fresh
     * values and the server's default compression, into a temporary table that has all eight
     * indexes: PostgreSQL itself decides. A row that does not fit is recorded as an
     * {@code INDEX_ROW_TOO_LARGE} rejection and removed; a row that fits is rewritten with those
     * same fresh values, so the build forms the same entries from it instead of reusing the
     * table's lz4-compressed values (which can be larger, or smaller, than pglz's).
     */
    public Judged judgeLongRows(Connection c, long runId) throws SQLException {
        List<String> ctids = new ArrayList<>();
        try (Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT ctid::text FROM chat_message s WHERE NOT " + TargetSchema.FITS_INDEXES)) {
            while (rs.next()) ctids.add(rs.getString(1));
        }
        if (ctids.isEmpty()) return new Judged(0, false);
        boolean lz4 = hasFunction(c, "pg_column_compression");   // PostgreSQL 14+; 13 stores pglz only, nothing to rewrite
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.defaultToastCompression(true));   // the database's, the role's or the server's: upstream's
            st.execute("CREATE TEMP TABLE IF NOT EXISTS pgbackfill_probe (LIKE chat_message) ON COMMIT DELETE ROWS");
            st.execute("CREATE INDEX IF NOT EXISTS pgbackfill_probe_id ON pg_temp.pgbackfill_probe (id)");
            for (Index ix : TargetSchema.INDEXES) {
                st.execute(ix.on("pg_temp.pgbackfill_probe", "probe_" + ix.name()));
            }
            long rejected = 0, rewritten = 0;
            String row = " FROM chat_message s WHERE s.ctid = ?::tid";
            // only a value the table holds lz4-compressed is reused as it is by the build (one held uncompressed, or out of line,
            // is compressed anew with the session's default, as upstream's): the others need no rewrite, and no VACUUM after
            String storedLz4 = lz4 ? " AND 'lz4' IN (pg_column_compression(t.id), pg_column_compression(t.chat_id), "
                + "pg_column_compression(t.user_id), pg_column_compression(t.parent_id), pg_column_compression(t.model_id))" : " AND FALSE";
            try (var probe = c.prepareStatement("INSERT INTO pg_temp.pgbackfill_probe (id, chat_id, user_id, parent_id, model_id, "
                     + "created_at, role) SELECT " + FRESH_INDEXED_VALUES + ", s.created_at, s.role" + row);
                 var reject = c.prepareStatement(TargetSchema.insertRowRejections(schema, runId, "s", "INDEX_ROW_TOO_LARGE", "?") + row);
                 var delete = c.prepareStatement("DELETE FROM chat_message s WHERE s.ctid = ?::tid");
                 var rewrite = c.prepareStatement("UPDATE chat_message t SET (id, chat_id, user_id, parent_id, model_id) = (SELECT "
                     + FRESH_INDEXED_VALUES + row + ") WHERE t.ctid = ?::tid" + storedLz4)) {
                for (String ctid : ctids) {
                    java.sql.Savepoint sp = c.setSavepoint();
                    try {
                        probe.setString(1, ctid);
                        probe.executeUpdate();
                        c.releaseSavepoint(sp);
                    } catch (SQLException e) {
                        if (!SqlStates.PROGRAM_LIMIT_EXCEEDED.equals(e.getSQLState())) throw e;   // (the outer catch rolls back)
                        c.rollback(sp);   // program_limit_exceeded: index row too large; set it aside
                        reject.setString(1, e.getMessage());
                        reject.setString(2, ctid);
                        reject.executeUpdate();
                        delete.setString(1, ctid);
                        delete.executeUpdate();
                        rejected++;
                        continue;
                    }
                    rewrite.setString(1, ctid);
                    rewrite.setString(2, ctid);
                    rewritten += rewrite.executeUpdate();
                }
            }
            c.commit();
            return new Judged(rejected, rejected + rewritten > 0);
        } catch (SQLException e) {
            Transactions.rollbackAfter(c, e);
            throw e;
        } finally {
            Transactions.restoreAutoCommit(c, auto);
        }
    }

    /**
     * Makes the rows deleted so far invisible to an index build: CREATE INDEX still indexes a
     * deleted row while any transaction might see it (an autovacuum ANALYZE, a report left open),
     * so an oversized row set aside would stop the build again. Waits, up to {@code maxWaitSeconds},
     * until every other transaction of the database started after the deletes, then vacuums
     * chat_message (which scans it: this runs only after rows were set aside).
     */
    public void forgetDeletedRows(Connection c, int maxWaitSeconds) throws SQLException, InterruptedException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            long xid;
            try (var rs = st.executeQuery("SELECT txid_current() % 4294967296")) {
                rs.next();
                xid = rs.getLong(1);
            }
            long deadline = System.nanoTime() + maxWaitSeconds * 1_000_000_000L;
            String older = "FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() "
                + "AND backend_xmin IS NOT NULL AND age(backend_xmin) > age('" + xid + "'::xid)";
            while (true) {
                String holder = null;
                try (var rs = st.executeQuery("SELECT pid || ' (' || coalesce(nullif(application_name, ''), backend_type) || ', ' "
                        + "|| coalesce(state, '?') || ' since ' || coalesce(xact_start::text, '?') || ')' " + older + " LIMIT 1")) {
                    if (rs.next()) holder = rs.getString(1);
                }
                if (holder == null) break;
                if (System.nanoTime() > deadline) {
                    throw new SQLException("rows set aside before building the indexes are still visible to an older transaction: "
                        + "session " + holder + "; end it (or wait for it) and run pgbackfill again", "55000");
                }
                Thread.sleep(500);
            }
            // the build indexes the heap only: the TOAST table's dead chunks can wait for autovacuum (the option exists from 14 on)
            st.execute(hasFunction(c, "pg_column_compression") ? "VACUUM (PROCESS_TOAST false) chat_message" : "VACUUM chat_message");
        } finally {
            Transactions.restoreAutoCommit(c, auto);
        }
    }

    /**
     * Where the chat of {@code alias}'s row lies in chat's physical order (its ctid), the order of
     * upstream's sequential scan; NULL for a chat that is gone. Offline nothing moves a chat; online
     * an update moves it, so the catch-up compares the current positions and {@code finish} settles
     * every collision again under its lock on chat.
     */
    public static String chatOrder(String alias) {
        return "(SELECT ctid FROM chat WHERE chat.id = " + alias + ".chat_id)";
    }

    /** The detail of a DUPLICATE_ID rejection recorded in SQL: {@code loser}'s row lost its id to {@code winner}'s. */
    public static String duplicateDetail(String loser, String winner) {
        return "'row id ' || " + loser + ".id || ' is also produced by chat ' || " + winner + ".chat_id || ', which comes first in "
            + "chat''s physical order (upstream reads chat with no ORDER BY) and keeps it'";
    }

    private static boolean hasFunction(Connection c, String name) throws SQLException {
        try (var ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = ?)")) {
            ps.setString(1, name);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Keeps, for every id that several rows share, the row of the chat that comes first in chat's
     * physical order (upstream's read order) and records the others as rejections. Returns the
     * rejections.
     */
    public long resolveCollisions(Connection c, long runId) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TEMP TABLE pgbackfill_candidates ON COMMIT DROP AS SELECT m.ctid AS row_ctid, m.*, row_number() OVER "
                + "(PARTITION BY m.id ORDER BY " + chatOrder("m") + ", m.chat_id COLLATE " + idCollation + ") AS rank FROM chat_message m "
                + "WHERE m.id IN (SELECT id FROM chat_message GROUP BY id HAVING count(*) > 1)");
            int rejected = st.executeUpdate(TargetSchema.insertRowRejections(schema, runId, "l", "DUPLICATE_ID", duplicateDetail("l", "w"))
                + " FROM pgbackfill_candidates l JOIN pgbackfill_candidates w ON w.id = l.id AND w.rank = 1 WHERE l.rank > 1");
            st.executeUpdate("DELETE FROM chat_message WHERE ctid = ANY (ARRAY(SELECT row_ctid FROM pgbackfill_candidates WHERE rank > 1))");
            c.commit();
            return rejected;
        } catch (SQLException e) {
            Transactions.rollbackAfter(c, e);
            throw e;
        } finally {
            Transactions.restoreAutoCommit(c, auto);
        }
    }
}
