package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.DatabaseFailure;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.phase.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a server that is not there yet or went away (a restart, a failover), and telling a
 * restart from an administrator ending the run's session.
 */
final class ServerWait {
    private static final Logger log = LoggerFactory.getLogger(ServerWait.class);
    /** How long a server that says it is starting up, recovering or shutting down (a restart, a failover) is waited for. */
    static final int SERVER_WAIT_SECONDS = 120;

    private final Database db;
    private final ProgressListener progress;
    private final BooleanSupplier stopping;
    /** When the server last started (pg_postmaster_start_time), as read at the first connection. */
    private String serverStart = "";

    ServerWait(Database db, ProgressListener progress, BooleanSupplier stopping) {
        this.db = db;
        this.progress = progress;
        this.stopping = stopping;
    }

    /**
     * Opens the first connection (the caller closes it). A server that answers 57P03 (starting up, in recovery, shutting down:
     * a restart or a failover under way) is waited for, up to {@link #SERVER_WAIT_SECONDS}, saying
     * so; once it has said that, a refused connection (it is down between the two) is waited for
     * too. A server that refuses from the start is reported at once (most likely a wrong address),
     * unless {@code wasUp}: the run was connected and lost it, so a refusal is the restart itself.
     */
    Connection await(boolean wasUp) throws SQLException, InterruptedException, BackfillException {
        long deadline = wasUp ? System.nanoTime() + SERVER_WAIT_SECONDS * 1_000_000_000L : 0;
        while (true) {
            try {
                Connection c = db.probe();
                if (deadline != 0) progress.info("the server accepts connections again");
                if (!wasUp) serverStart = serverStart(c);
                return c;
            } catch (SQLException e) {
                boolean restarting = SqlStates.CANNOT_CONNECT_NOW.equals(e.getSQLState());
                boolean down = e.getSQLState() != null && e.getSQLState().startsWith("08");
                if (!restarting && !(down && deadline != 0)) throw e;
                if (deadline == 0) {
                    deadline = System.nanoTime() + SERVER_WAIT_SECONDS * 1_000_000_000L;
                    progress.info("the server is not accepting connections yet (" + DatabaseFailure.rootMessage(e) + "); waiting up to "
                        + SERVER_WAIT_SECONDS + " s for it (a restart or a failover?)");
                }
                if (System.nanoTime() > deadline) throw e;
                if (stopping.getAsBoolean()) {
                    throw new BackfillException(Kind.STOPPED, "stopped while waiting for the server, as asked; nothing is lost: run the "
                        + "same command again to resume where it stopped");
                }
                Thread.sleep(1000);
            }
        }
    }

    /**
     * Whether the server restarted since the first connection: a session ended with 57P01 by a
     * restart resumes, one ended by pg_terminate_backend (an administrator stopping the run) does not.
     */
    boolean restartedSince(Connection c) throws SQLException {
        return !serverStart(c).equals(serverStart);
    }

    private static String serverStart(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_postmaster_start_time()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * After a connection broke only on this side (a network partition, a proxy), the server may still
     * run this process's old sessions, holding the run lock or row locks until its keepalive notices:
     * those opened before the reconnect are ended, so the resumed run does not wait for itself.
     */
    static void endOwnStaleSessions(Connection c, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                + "WHERE application_name = ? AND pid <> pg_backend_pid() AND backend_start < (SELECT backend_start FROM pg_stat_activity "
                + "WHERE pid = pg_backend_pid())")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) > 0) log.info("ended {} session(s) of this process left from before the reconnect", rs.getLong(1));
            }
        }
    }
}
