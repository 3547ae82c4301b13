package org.pgbackfill;

/**
 * A run that cannot go on, with what failed, where, and what to do next. {@link #kind()} tells
 * callers which sort of failure it is (the command line maps each to its exit code).
 */
public final class BackfillException extends Exception {
    /** Sorts of failure. */
    public enum Kind {
        /** Nothing to do: the database is already where the run would bring it (a success, for automation). */
        ALREADY_DONE,
        /** A setting the server refuses (checked before anything is written): bad usage, as on the command line. */
        BAD_SETTING,
        CANNOT_CONNECT,
        WRONG_REVISION,
        NOT_OPEN_WEBUI,
        TARGET_EXISTS,
        INSUFFICIENT_PRIVILEGE,
        RUN_FAILED,
        /** finish without an online run, an offline run on an open online run, or the reverse. */
        WRONG_MODE,
        /** The connection goes through a pooler in transaction or statement mode: nothing was written. */
        POOLER,
        /** Stopped on request (SIGINT, SIGTERM): the state is resumable. */
        STOPPED
    }

    private final Kind kind;

    public BackfillException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public BackfillException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
