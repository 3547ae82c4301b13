package org.pgbackfill;

import java.util.List;

/**
 * A run that cannot go on, with what failed, where, and what to do next. {@link #kind()} tells
 * callers which sort of failure it is (the command line maps each to its exit code), and
 * {@link #nextSteps()} what the operator can do about it, as values the caller says in its own
 * words (the message names no command nor flag).
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
    private final List<NextStep> nextSteps;

    /** {@code next}: what the operator can do, the likeliest first (none: the message says it all). */
    public BackfillException(Kind kind, String message, NextStep... next) {
        super(message);
        this.kind = kind;
        this.nextSteps = List.of(next);
    }

    public BackfillException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.nextSteps = List.of();
    }

    public Kind kind() { return kind; }

    /** What the operator can do next, the likeliest first; empty when the message says it all. */
    public List<NextStep> nextSteps() { return nextSteps; }
}
