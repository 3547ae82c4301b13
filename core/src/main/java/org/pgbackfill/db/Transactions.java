package org.pgbackfill.db;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Ending a transaction that failed without hiding why it failed. When the server went away, the
 * pool has already closed the connection: {@code rollback()} and {@code setAutoCommit} then throw
 * "Connection is closed", which has no SQLSTATE, and thrown over the server's error (class 08) it
 * made a run give up (exit 3) instead of waiting for the server and resuming.
 */
public final class Transactions {
    private Transactions() { }

    /** Rolls back after {@code cause}; a failure to do so is kept on {@code cause}, which the caller throws. */
    public static void rollbackAfter(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** Restores auto-commit in a finally block; on a connection the server broke, there is nothing to restore. */
    public static void restoreAutoCommit(Connection c, boolean auto) {
        try {
            c.setAutoCommit(auto);
        } catch (SQLException ignored) {
            // the connection is gone: the error that ended the transaction is already on its way up
        }
    }
}
