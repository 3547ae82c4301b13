package org.pgbackfill.verify;

import org.pgbackfill.run.BackfillException;
import org.pgbackfill.run.BackfillException.Kind;

import java.sql.SQLException;

/**
 * Turns a database error met during a check into the failure a person can act on, with the same
 * kinds (and so exit codes) as the backfill's: cannot connect, insufficient privileges, or a
 * failure while checking.
 */
final class Failures {
    private Failures() { }

    static BackfillException classify(Throwable e, String where) {
        String state = sqlState(e);
        String m = rootMessage(e);
        if ("28P01".equals(state) || "28000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "the server at " + where + " refused the credentials: " + m
                + ". Check the user and password in DATABASE_URL", e);
        }
        if ("3D000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "database not found at " + where + ": " + m
                + ". Check the database name in DATABASE_URL", e);
        }
        if (state != null ? state.startsWith("08") : e instanceof SQLException) {
            return new BackfillException(Kind.CANNOT_CONNECT, "cannot connect to " + where + ": " + m
                + ". Check that the server is running and reachable from here, and the host and port in DATABASE_URL", e);
        }
        if ("42501".equals(state)) {
            return new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, "permission denied: " + m
                + ". The check needs SELECT on chat and chat_message (and on the tool's schema, if any)", e);
        }
        return new BackfillException(Kind.RUN_FAILED, "the check failed: " + m + (state == null ? "" : " (SQLSTATE " + state + ")")
            + ". Nothing was changed; fix the cause and run it again", e);
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) return s.getSQLState();
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        String outer = e.getMessage();
        if (t == e || outer == null) return m;
        return outer.contains(m) ? outer : outer + " (" + m + ")";
    }
}
