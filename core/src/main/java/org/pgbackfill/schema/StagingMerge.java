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

    /** Creates chat_message exactly as upstream does (primary key only) and the collision table. */
    public void createTarget(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE);
            st.execute("DROP TABLE IF EXISTS " + collisions());
            st.execute("CREATE TABLE " + collisions() + " (LIKE " + control.staging() + ")");
        }
    }

    /** Merges every range, {@code parallel} at a time; returns the rows inserted. */
    public long mergeAll(ConnectionSource db, List<Integer> rangeIds, int parallel) throws Exception {
        AtomicLong inserted = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel), r -> {
            Thread t = new Thread(r, "pgbackfill-merge");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = rangeIds.stream().<Future<?>>map(id -> pool.submit(() -> {
                try (Connection c = db.connection()) {
                    inserted.addAndGet(mergeRange(c, id));
                }
                return null;
            })).toList();
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
        return inserted.get();
    }

    /** Supplies connections (the run's pool). */
    public interface ConnectionSource { Connection connection() throws SQLException; }

    long mergeRange(Connection c, int rangeId) throws SQLException {
        String partition = control.stagingPartition(rangeId);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            if (toastCompression != null) st.execute("SET LOCAL default_toast_compression = " + toastCompression);
            st.execute("SET LOCAL synchronous_commit = off");
            long staged;
            try (var rs = st.executeQuery("SELECT count(*) FROM " + partition)) {
                rs.next();
                staged = rs.getLong(1);
            }
            int inserted = st.executeUpdate("INSERT INTO chat_message (" + TargetSchema.COLUMNS + ") SELECT "
                + TargetSchema.COLUMNS + " FROM " + partition + " ON CONFLICT (id) DO NOTHING");
            if (inserted < staged) {
                st.executeUpdate("INSERT INTO " + collisions() + " SELECT * FROM " + partition + " s WHERE NOT EXISTS "
                    + "(SELECT 1 FROM chat_message m WHERE m.id = s.id AND m.chat_id = s.chat_id)");
            }
            st.execute("TRUNCATE " + partition);
            c.commit();
            return inserted;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
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
                + "json_build_object('role', l.role, 'parentId', l.parent_id, 'model', l.model_id, 'content', l.content, "
                + "'output', l.output, 'files', l.files, 'sources', l.sources, 'embeds', l.embeds, 'done', l.done, "
                + "'statusHistory', l.status_history, 'error', l.error, 'usage', l.usage, 'timestamp', l.created_at)::text "
                + "FROM pgbackfill_candidates l JOIN pgbackfill_candidates w ON w.id = l.id AND w.rank = 1 WHERE l.rank > 1");
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
