package org.pgbackfill.state;

import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A session advisory lock on the run, held on its own connection: the steps that must happen
 * once (creating and planning the run, creating chat_message, resolving collisions, building
 * indexes, stamping) are taken under it by whichever process gets there first; the others wait,
 * then find the step recorded as done. If the holder dies, PostgreSQL releases the lock with its
 * session.
 */
public final class RunLock implements AutoCloseable {
    static final long POLL_MILLIS = 200;
    private final Connection connection;
    private final String key;
    private RunLock(Connection connection, String key) {
        this.connection = connection;
        this.key = key;
    }

    public static RunLock take(Database db, ControlTables control) throws SQLException {
        Connection c = db.connection();
        // Polled, not waited for in pg_advisory_lock: a waiting statement holds a snapshot, and the holder may
        // be waiting for every older snapshot to end (TargetTable.forgetDeletedRows). Waiting here is waiting
        // for another process's step (an index build can take minutes), not for the application.
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            ps.setString(1, control.lockKey());
            while (true) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) break;
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for the run lock", SqlStates.QUERY_CANCELED);
                }
            }
            return new RunLock(c, control.lockKey());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** The connection holding the lock, for the step's own statements. */
    public Connection connection() { return connection; }

    @Override public void close() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
            if (!connection.getAutoCommit()) connection.rollback();
            connection.setAutoCommit(true);
            ps.setString(1, key);
            ps.execute();
        } finally {
            connection.close();
        }
    }
}
