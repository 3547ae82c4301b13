package org.pgbackfill.job.currentmessage;

import org.pgbackfill.db.Transactions;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The build of the current_message_id job: the staged values merged into {@code chat}, range by
 * range, each batch of at most {@code batchChats} chats (in key order) in its own short transaction
 * that also records how far the range has got, so a stopped or crashed build continues where it was.
 * Only chats whose value differs are updated.
 *
 * <p>Before a range is merged its staging rows are counted against what its attempt recorded: a
 * server crash empties UNLOGGED staging after the reconciliation may have passed, so a range whose
 * rows are missing is computed again here (in the same way, under its current attempt) and merged
 * from where its merge had got: the chats already merged are not touched again.
 */
final class CurrentMessageMerge {
    private static final Logger log = LoggerFactory.getLogger(CurrentMessageMerge.class);

    private final StagingTables tables;
    private final JobRun run;
    private final RangeWork work;
    private final int batchChats;
    private final String collation;

    CurrentMessageMerge(StagingTables tables, JobRun run, RangeWork work, int batchChats) {
        this.tables = tables;
        this.run = run;
        this.work = work;
        this.batchChats = batchChats;
        this.collation = run.facts().idCollation();
    }

    private record Pending(KeyRange range, int attempt, long expected, long staged, boolean summarized, String mergedThrough) { }

    /** What the merge did in this process: ranges computed again, chats updated. */
    record Result(int recomputed, long updated) { }

    Result build(Connection c) throws Exception {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE INDEX IF NOT EXISTS " + tables.stagingIndex() + " ON " + tables.staging() + " (range_id, attempt, chat_id)");
        }
        List<Pending> pending = new ArrayList<>();
        String schema = run.control().schema();
        try (PreparedStatement ps = c.prepareStatement("WITH st AS (SELECT range_id, attempt, count(*) AS n FROM " + tables.staging()
                + " GROUP BY 1, 2) SELECT r.range_id, r.lo, r.hi, r.estimated_bytes, r.attempt, coalesce(s.staged, -1), coalesce(st.n, 0), "
                + "s.range_id IS NOT NULL, m.merged_through FROM " + schema + ".range r "
                + "LEFT JOIN " + tables.ranges() + " s ON s.run_id = r.run_id AND s.range_id = r.range_id AND s.attempt = r.attempt "
                + "LEFT JOIN st ON st.range_id = r.range_id AND st.attempt = r.attempt "
                + "LEFT JOIN " + tables.merges() + " m ON m.run_id = r.run_id AND m.range_id = r.range_id "
                + "WHERE r.run_id = ? AND NOT coalesce(m.done, false) ORDER BY r.range_id")) {
            ps.setLong(1, run.runId());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pending.add(new Pending(new KeyRange(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getLong(4)), rs.getInt(5),
                        rs.getLong(6), rs.getLong(7), rs.getBoolean(8), rs.getString(9)));
                }
            }
        }
        int recomputed = 0;
        long updated = 0;
        for (Pending p : pending) {
            run.stop().check(Phase.BUILD);
            if (!p.summarized() || p.staged() != p.expected()) {
                log.info("{}: staging holds {} rows where its load recorded {} (a server crash empties UNLOGGED tables); "
                    + "computing the range again", p.range(), p.staged(), p.summarized() ? p.expected() : "none");
                recompute(new ControlTables.Claim(p.range(), p.attempt()));
                recomputed++;
            }
            updated += merge(c, p);
        }
        if (!pending.isEmpty()) log.info("merged {} ranges: {} chats updated, {} ranges computed again", pending.size(), updated, recomputed);
        return new Result(recomputed, updated);
    }

    private void recompute(ControlTables.Claim claim) throws Exception {
        try (Connection a = run.db().connection(); Connection b = run.db().connection()) {
            work.clear(b, claim, true);
            work.run(a, b, claim, null, null, () -> false);
        }
    }

    /** Merges one range from where it had got, batch by batch; returns the chats it updated. */
    private long merge(Connection c, Pending p) throws Exception {
        String after = p.mergedThrough();
        long updated = 0;
        String sql = "WITH b AS (SELECT chat_id, value FROM " + tables.staging() + " WHERE range_id = ? AND attempt = ? "
            + "AND (?::text IS NULL OR chat_id > (?::text COLLATE " + collation + ")) ORDER BY chat_id LIMIT ?), "
            + "u AS (UPDATE chat SET current_message_id = b.value FROM b WHERE chat.id = b.chat_id "
            + "AND chat.current_message_id IS DISTINCT FROM b.value RETURNING 1) "
            + "SELECT (SELECT max(chat_id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM u)";
        String record = "INSERT INTO " + tables.merges() + " AS m (run_id, range_id, merged_through, merged_chats, updated_chats, done) "
            + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, range_id) DO UPDATE SET "
            + "merged_through = coalesce(excluded.merged_through, m.merged_through), merged_chats = m.merged_chats + excluded.merged_chats, "
            + "updated_chats = m.updated_chats + excluded.updated_chats, done = excluded.done";
        while (true) {
            run.stop().check(Phase.BUILD);
            c.setAutoCommit(false);
            try {
                String last;
                long batch, changed;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setInt(1, p.range().id());
                    ps.setInt(2, p.attempt());
                    ps.setString(3, after);
                    ps.setString(4, after);
                    ps.setInt(5, batchChats);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        last = rs.getString(1);
                        batch = rs.getLong(2);
                        changed = rs.getLong(3);
                    }
                }
                boolean done = batch < batchChats;
                try (PreparedStatement ps = c.prepareStatement(record)) {
                    ps.setLong(1, run.runId());
                    ps.setInt(2, p.range().id());
                    ps.setString(3, last);
                    ps.setLong(4, batch);
                    ps.setLong(5, changed);
                    ps.setBoolean(6, done);
                    ps.executeUpdate();
                }
                c.commit();
                updated += changed;
                if (done) return updated;
                after = last;
            } catch (Exception e) {
                Transactions.rollbackAfter(c, e);
                throw e;
            } finally {
                Transactions.restoreAutoCommit(c, true);
            }
        }
    }
}
