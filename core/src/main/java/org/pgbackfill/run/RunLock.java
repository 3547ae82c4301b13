package org.pgbackfill.run;

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
final class RunLock implements AutoCloseable {
    private final Connection connection;
    private final String key;
    private final String savedLockTimeout;

    private RunLock(Connection connection, String key, String savedLockTimeout) {
        this.connection = connection;
        this.key = key;
        this.savedLockTimeout = savedLockTimeout;
    }

    static RunLock take(Database db, ControlTables control) throws SQLException {
        Connection c = db.connection();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(hashtext(?))")) {
            // waiting here is waiting for another process's step (an index build can take minutes), not for the application
            String saved;
            try (var st = c.createStatement(); var rs = st.executeQuery("SHOW lock_timeout")) {
                rs.next();
                saved = rs.getString(1);
                st.execute("SET lock_timeout = 0");
            }
            ps.setString(1, control.lockKey());
            ps.execute();
            return new RunLock(c, control.lockKey(), saved);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** The connection holding the lock, for the step's own statements. */
    Connection connection() { return connection; }

    @Override public void close() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
            if (!connection.getAutoCommit()) connection.rollback();
            connection.setAutoCommit(true);
            ps.setString(1, key);
            ps.execute();
        } finally {
            try (var st = connection.createStatement()) {
                st.execute("SET lock_timeout = '" + savedLockTimeout.replace("'", "") + "'");
            } catch (SQLException ignored) {
                // the connection is closing anyway
            }
            connection.close();
        }
    }
}
