package org.pgbackfill.cli;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;

/**
 * The process exit code of each outcome, stable for automation and listed in README.md and in
 * every command's --help: 0 means the database is where the command should bring it.
 */
final class ExitCodes {
    static final int USAGE = 2;

    private ExitCodes() { }

    static int of(Kind kind) {
        return switch (kind) {
            case ALREADY_DONE -> 0;
            case BAD_SETTING -> USAGE;
            case CANNOT_CONNECT -> 3;
            case WRONG_REVISION -> 4;
            case NOT_OPEN_WEBUI -> 5;
            case TARGET_EXISTS -> 6;
            case INSUFFICIENT_PRIVILEGE -> 7;
            case RUN_FAILED -> 8;
            case WRONG_MODE -> 10;
            case POOLER -> 11;
            case STOPPED -> 130;   // as shells report an interrupted command
        };
    }

    static int of(BackfillException e) { return of(e.kind()); }

    /** What a run's JSON report holds when the run ended this way: {@code {"outcome", "exit_code", "message"}}. */
    static String json(BackfillException e) {
        java.io.StringWriter w = new java.io.StringWriter();
        try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("outcome", e.kind().name().toLowerCase(java.util.Locale.ROOT));
            g.writeNumberField("exit_code", of(e));
            g.writeStringField("message", Advice.message(e));
            g.writeEndObject();
        } catch (java.io.IOException io) {
            throw new java.io.UncheckedIOException(io);   // a StringWriter does not fail
        }
        return w.toString();
    }
}
