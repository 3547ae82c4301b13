package org.pgbackfill;

/**
 * A run that cannot go on, with what failed, where, and what to do next. {@link #kind()} tells
 * callers (the CLI's exit code) which sort of failure it is.
 */
public final class BackfillException extends Exception {
    /** Sorts of failure, each with its stable process exit code (documented in README.md). */
    public enum Kind {
        /** Nothing to do: the database is already where the run would bring it (a success, for automation). */
        ALREADY_DONE(0),
        /** A setting the server refuses (checked before anything is written): bad usage, as on the command line. */
        BAD_SETTING(2),
        CANNOT_CONNECT(3),
        WRONG_REVISION(4),
        NOT_OPEN_WEBUI(5),
        TARGET_EXISTS(6),
        INSUFFICIENT_PRIVILEGE(7),
        RUN_FAILED(8),
        /** finish without an online run, an offline run on an open online run, or the reverse. */
        WRONG_MODE(10),
        /** The connection goes through a pooler in transaction or statement mode: nothing was written. */
        POOLER(11),
        /** Stopped on request (SIGINT, SIGTERM): the state is resumable. 130, as shells report an interrupted command. */
        STOPPED(130);

        private final int exitCode;

        Kind(int exitCode) { this.exitCode = exitCode; }

        public int exitCode() { return exitCode; }
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

    /** What a run's JSON report holds when the run ended this way: {@code {"outcome", "exit_code", "message"}}. */
    public String toJson() {
        java.io.StringWriter w = new java.io.StringWriter();
        try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("outcome", kind.name().toLowerCase(java.util.Locale.ROOT));
            g.writeNumberField("exit_code", kind.exitCode());
            g.writeStringField("message", getMessage());
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // a StringWriter does not fail
        }
        return w.toString();
    }
}
