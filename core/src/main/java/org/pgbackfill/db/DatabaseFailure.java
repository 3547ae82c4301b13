package org.pgbackfill.db;

import org.pgbackfill.BackfillException;

import org.pgbackfill.BackfillException.Kind;

import java.sql.SQLException;

/**
 * Turns a database error into the failure a person can act on, the same way for every command
 * that works on the database (the backfill, verify): cannot connect (wrong credentials, no such
 * database, server unreachable), insufficient privileges, or the step failed. Each says what
 * happened, where, and what to do next; the kind gives the exit code.
 */
public final class DatabaseFailure {
    private DatabaseFailure() { }

    /**
     * @param where           the database, as it may be shown (never with its password)
     * @param privilegeAdvice what to do about a permission error, e.g. "Run pgbackfill as the owner of Open WebUI's tables"
     * @param failed          what failed otherwise, e.g. "the backfill failed"
     * @param nextStep        what to do then, e.g. "Nothing was stamped; fix the cause and run pgbackfill again"
     */
    public static BackfillException classify(Throwable e, String where, String privilegeAdvice, String failed, String nextStep) {
        String state = SqlStates.of(e);
        String m = rootMessage(e);
        // the same kinds as kindOf, except that only the two login refusals of class 28 count as "cannot connect" here
        if ("28P01".equals(state) || "28000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "the server at " + where + " refused the credentials: " + m
                + ". Check the user and password in DATABASE_URL", e);
        }
        if (org.pgbackfill.db.Database.SESSION_MOVED.equals(state)) {
            return new BackfillException(Kind.POOLER, m + ". Nothing was stamped", e);
        }
        if (SqlStates.CANNOT_CONNECT_NOW.equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "the server at " + where + " is not accepting connections (" + m
                + "): it is starting up, recovering or shutting down and did not come back in time; run pgbackfill again once it does", e);
        }
        if ("3D000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "database not found at " + where + ": " + m
                + ". Check the database name in DATABASE_URL", e);
        }
        if (state != null ? state.startsWith("08") : e instanceof SQLException) {
            return new BackfillException(Kind.CANNOT_CONNECT, "cannot connect to " + where + ": " + m
                + ". Check that the server is running and reachable from here, and the host and port in DATABASE_URL", e);
        }
        if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(state)) {
            return new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, "permission denied: " + m + ". " + privilegeAdvice, e);
        }
        return new BackfillException(Kind.RUN_FAILED, failed + ": " + m + (state == null ? "" : " (SQLSTATE " + state + ")")
            + ". " + nextStep, e);
    }

    /**
     * The kind of failure alone (for commands that word their own message): cannot connect
     * (SQLSTATE classes 08 and 28, 3D000, or no SQLSTATE on a database error), insufficient
     * privileges (42501), or the step failed.
     */
    public static Kind kindOf(Throwable e) {
        String state = SqlStates.of(e);
        if (org.pgbackfill.db.Database.SESSION_MOVED.equals(state)) return Kind.POOLER;
        if (state != null ? state.startsWith("08") || state.startsWith("28") || state.equals("3D000") || state.equals("57P03")
                : e instanceof SQLException) {
            return Kind.CANNOT_CONNECT;
        }
        return SqlStates.INSUFFICIENT_PRIVILEGE.equals(state) ? Kind.INSUFFICIENT_PRIVILEGE : Kind.RUN_FAILED;
    }

    /** The error's message with its root cause's, once. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        String outer = e.getMessage();
        if (t == e || outer == null) return m;
        return outer.contains(m) ? outer : outer + " (" + m + ")";
    }
}
