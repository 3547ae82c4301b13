package org.pgbackfill.online;

import org.pgbackfill.control.Backoff;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.Transactions;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * How every job's catch-up goes through its change log: a pass takes what was recorded before it
 * began, batch by batch, each batch in its own transaction, retried on a conflict with the
 * application's writes ({@link SqlStates#retryableConflict}); the final drain takes everything,
 * in the caller's transaction (the source locked by the caller). The job does one batch.
 */
public final class CatchUpPasses {
    /** One batch of a job's catch-up, in the caller's transaction: {chats, rows (or values) written}; {0, 0} when none is left. */
    @FunctionalInterface
    public interface Batch {
        long[] run(Connection c, long upToVersion) throws SQLException, IOException, InterruptedException;
    }

    private static final int RETRIES = 10;

    /** The oldest changes of a batch, as read from the change log: each chat once, with the version recorded. */
    public record Changes(List<String> chatIds, List<Long> versions) {
        public boolean isEmpty() { return chatIds.isEmpty(); }
    }

    /** Up to {@code limit} of the changes recorded in {@code log} at or below {@code upToVersion}, oldest first. */
    public static Changes next(Connection c, String log, long upToVersion, int limit) throws SQLException {
        List<String> ids = new ArrayList<>();
        List<Long> versions = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT chat_id, version FROM " + log
                + " WHERE version <= ? ORDER BY version LIMIT " + limit)) {
            ps.setLong(1, upToVersion);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                    versions.add(rs.getLong(2));
                }
            }
        }
        return new Changes(ids, versions);
    }

    private CatchUpPasses() { }

    /** Every change recorded in {@code log} before the pass began, telling {@code progress} (chats caught up, chats pending then). */
    public static CatchUp.Pass pass(Connection c, String log, Batch batch, BiConsumer<Long, Long> progress)
            throws SQLException, IOException, InterruptedException {
        long t0 = System.nanoTime();
        long upTo, pending;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0), count(*) FROM " + log)) {
            rs.next();
            upTo = rs.getLong(1);
            pending = rs.getLong(2);
        }
        long chats = 0, rows = 0;
        progress.accept(0L, pending);
        while (true) {
            long[] done = withRetries(c, upTo, batch);
            if (done[0] == 0) break;
            chats += done[0];
            rows += done[1];
            progress.accept(Math.min(chats, pending), pending);
        }
        return new CatchUp.Pass(chats, rows, (System.nanoTime() - t0) / 1e9);
    }

    /** Everything recorded, in the caller's transaction. */
    public static CatchUp.Pass drain(Connection c, Batch batch) throws SQLException, IOException, InterruptedException {
        long t0 = System.nanoTime();
        long chats = 0, rows = 0;
        for (int batches = 0; ; batches++) {
            long[] done = batch.run(c, Long.MAX_VALUE);
            if (done[0] == 0) break;
            if (batches > 100_000) throw new SQLException("the final catch-up does not converge: is Open WebUI still writing?");
            chats += done[0];
            rows += done[1];
        }
        return new CatchUp.Pass(chats, rows, (System.nanoTime() - t0) / 1e9);
    }

    private static long[] withRetries(Connection c, long upTo, Batch batch) throws SQLException, IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            c.setAutoCommit(false);
            try {
                long[] done = batch.run(c, upTo);
                c.commit();
                return done;
            } catch (SQLException e) {
                Transactions.rollbackAfter(c, e);
                if (!SqlStates.retryableConflict(e) || attempt >= RETRIES) throw e;
                Backoff.CONFLICT.sleep(attempt);   // a chat deleted or saved under the batch: take the batch again
            } catch (IOException | RuntimeException | InterruptedException e) {
                Transactions.rollbackAfter(c, e);
                throw e;
            } finally {
                Transactions.restoreAutoCommit(c, true);
            }
        }
    }
}
