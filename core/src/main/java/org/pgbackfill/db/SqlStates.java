package org.pgbackfill.db;

import java.sql.SQLException;

/**
 * The one place that sorts PostgreSQL's SQLSTATEs: which failures mean the connection or the
 * server went away (retry elsewhere, reconnect), which are conflicts worth trying again, which
 * are the data's. Every retry and every error message asks here.
 */
public final class SqlStates {
    public static final String UNIQUE_VIOLATION = "23505";
    public static final String FOREIGN_KEY_VIOLATION = "23503";
    public static final String PROGRAM_LIMIT_EXCEEDED = "54000";   // an index row too large
    public static final String LOCK_NOT_AVAILABLE = "55P03";
    public static final String ADMIN_SHUTDOWN = "57P01";           // also pg_terminate_backend
    public static final String CANNOT_CONNECT_NOW = "57P03";       // starting up, recovering, shutting down
    public static final String INSUFFICIENT_PRIVILEGE = "42501";
    public static final String QUERY_CANCELED = "57014";

    private SqlStates() { }

    /**
     * The server went away rather than the work failing: the connection broke (class 08), or the
     * server is shutting down, crashed or is starting up (57P01, 57P02, 57P03), anywhere along
     * the causes. A run waits for the server and resumes.
     */
    public static boolean serverWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("08") || state.equals(ADMIN_SHUTDOWN) || state.equals("57P02") || state.equals(CANNOT_CONNECT_NOW)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * This statement's connection is unusable (no SQLSTATE: an I/O error; class 08; an operator
     * intervention, 57P): the statement's rows are not to blame, so they are not isolated one by one.
     */
    public static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P");
    }

    /** A conflict with concurrent work that a short retry of the same transaction gets past (serialization, deadlock, lock, a row deleted meanwhile). */
    public static boolean retryableConflict(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || LOCK_NOT_AVAILABLE.equals(state) || FOREIGN_KEY_VIOLATION.equals(state);
    }

    /** Whether {@code state} is the SQLSTATE of any exception along the causes. */
    public static boolean hasState(Throwable e, String state) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && state.equals(s.getSQLState())) return true;
        }
        return false;
    }

    /** The first SQLSTATE along the causes, or null. */
    public static String of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) return s.getSQLState();
        }
        return null;
    }
}
