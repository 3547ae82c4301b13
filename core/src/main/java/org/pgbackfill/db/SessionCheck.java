package org.pgbackfill.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * Whether one connection to the database is one server session for its whole life, as the tool
 * needs: the run lock is a session advisory lock, a COPY transaction's fence and the session
 * settings belong to a server session. A connection pooler in <em>transaction</em> pooling
 * (PgBouncer's {@code pool_mode = transaction}, most managed "poolers") hands each transaction to
 * whichever server session is free; in <em>statement</em> pooling each statement. Then locks are
 * held by sessions nobody controls, settings land on the application's sessions, and a range can
 * look loaded while its rows went elsewhere. Session pooling and direct connections are fine.
 *
 * <p>The test, on two connections {@code a} and {@code b} opened as the tool opens its own:
 * {@code a} marks its session (a setting of the tool's own, {@value #MARKER}) and reads its backend
 * pid; {@code b} opens a transaction, which a transaction pooler serves with the session {@code a}
 * just left (PgBouncer reuses the most recently freed one), and reads pid and marker; then {@code
 * a}, while {@code b}'s transaction is still open, reads them again. Separate sessions show
 * different pids, the marker only on {@code a}, and the same pid for {@code a} throughout. Each
 * side resets the marker before it lets go, so a pooled session is left as it was found.
 */
public final class SessionCheck {
    /** What stands between the tool and the server, as far as sessions go. */
    public enum Pooling {
        /** A direct connection, or a pooler in session mode: one connection, one server session. */
        NONE,
        TRANSACTION,
        STATEMENT;

        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /** A custom setting only this check uses. */
    static final String MARKER = "pgbackfill.session_marker";

    /** Opens a connection as the run would (same URL, same properties). */
    @FunctionalInterface
    public interface Connector {
        Connection open() throws SQLException;
    }

    private SessionCheck() { }

    public static Pooling detect(Connector connector) throws SQLException {
        try {
            return detectOnce(connector);
        } catch (SQLException e) {
            // a named statement of another client's connection (pgjdbc names them S_1, S_2, …): only a shared session has it
            if ("42P05".equals(e.getSQLState()) || "26000".equals(e.getSQLState())) return Pooling.TRANSACTION;
            throw e;
        }
    }

    private static Pooling detectOnce(Connector connector) throws SQLException {
        String token = UUID.randomUUID().toString();
        try (Connection a = connector.open(); Connection b = connector.open()) {
            a.setAutoCommit(true);
            int pidA = pid(a);
            try (Statement st = a.createStatement()) {
                st.execute("SELECT set_config('" + MARKER + "', '" + token + "', false)");
            }
            int pidB;
            String markerB;
            b.setAutoCommit(false);
            try (Statement st = b.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), current_setting('" + MARKER + "', true)")) {
                rs.next();
                pidB = rs.getInt(1);
                markerB = rs.getString(2);
            } catch (SQLException e) {
                if (!statementPooling(e)) throw e;
                if (!b.isClosed()) b.rollback();   // PgBouncer closes the client it refused
                reset(a);
                return Pooling.STATEMENT;
            }
            int pidA2;
            String markerA2;
            try (Statement st = a.createStatement()) {
                // a session of its own never waits for another's read-only transaction; a pooler with no free session does
                st.setQueryTimeout(10);
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), current_setting('" + MARKER + "', true)")) {
                    rs.next();
                    pidA2 = rs.getInt(1);
                    markerA2 = rs.getString(2);
                } catch (SQLException e) {
                    if (SqlStates.QUERY_CANCELED.equals(e.getSQLState())) return Pooling.TRANSACTION;   // cancelled by the timeout
                    throw e;
                }
            } finally {
                reset(b);
                b.commit();
                b.setAutoCommit(true);
            }
            reset(a);
            boolean separate = pidA2 == pidA && pidB != pidA && token.equals(markerA2) && !token.equals(markerB);
            return separate ? Pooling.NONE : Pooling.TRANSACTION;
        }
    }

    /**
     * The operator's message for a pooler that is not in session mode: what was found, why the tool
     * cannot work through it, and what to do.
     */
    public static String refusal(Pooling pooling, DatabaseUrl url) {
        return "the connection to " + url + " goes through a connection pooler in " + pooling.label() + " pooling mode "
            + "(such as PgBouncer with pool_mode = " + pooling.label() + "): one connection is not one server session there, so "
            + "the run's locks, settings and COPY fencing would land on sessions shared with the application. Nothing was "
            + "written. Connect to PostgreSQL's own port instead (bypassing the pooler), or through a pool in session mode "
            + "(PgBouncer: pool_mode = session for this database or user)";
    }

    private static boolean statementPooling(SQLException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return m.contains("statement pooling") || m.contains("transaction blocks not allowed");
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("RESET " + MARKER);
        }
    }
}
