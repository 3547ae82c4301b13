package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.BackfillException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** {@code pgbackfill pause} and {@code pgbackfill resume}: hold or release the unfinished run, from any machine. */
final class PauseCommand {
    private PauseCommand() { }

    /** Sets the flag every process of the run checks each second. */
    static int setPaused(String databaseUrl, String schema, boolean paused) {
        DatabaseUrl url = DatabaseOptions.parse(databaseUrl);
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            long runId = org.pgbackfill.engine.Pause.set(c, schema, paused);
            if (runId < 0) {
                System.err.println("pgbackfill: no unfinished run on " + url + " (schema " + schema + ") to " + (paused ? "pause" : "resume"));
                return ExitCodes.of(BackfillException.Kind.WRONG_MODE);
            }
            System.out.println(paused
                ? "run " + runId + " paused: its readers hold within a second (they keep their connections and snapshot); "
                    + "pgbackfill resume continues it"
                : "run " + runId + " resumed");
            return 0;
        } catch (SQLException e) {
            System.err.println("pgbackfill: cannot " + (paused ? "pause" : "resume") + " the run on " + url + ": " + e.getMessage());
            return Main.exitCodeFor(e);
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
        description = {"Holds the unfinished run: every process of it stops reading within a second, and rows stop moving.",
            "Works from any machine that reaches the database; pgbackfill resume releases it. Also shown by pgbackfill status."},
        footer = {"%nExamples:", "  pgbackfill pause      # with DATABASE_URL in the environment"})
    static final class Pause implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Override public Integer call() { return setPaused(db.databaseUrl, db.schema, true); }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
        description = {"Releases a run held by pgbackfill pause; its processes continue within a second."},
        footer = {"%nExamples:", "  pgbackfill resume     # with DATABASE_URL in the environment"})
    static final class Resume implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Override public Integer call() { return setPaused(db.databaseUrl, db.schema, false); }
    }
}
