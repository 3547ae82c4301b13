package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.RunStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** {@code pgbackfill status}: the current or last run, from any machine that reaches the database. Read-only. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Shows the current or last run: running or stopped, its phase, how far, rows, rejections.",
        "Also ranges by state and which processes hold leases.",
        "Reads only the tool's control tables; safe while runs are going on, from any machine."},
    footer = {"%nExamples:",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  pgbackfill status",
        "  pgbackfill status --json"})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions db;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() {
        DatabaseUrl url = DatabaseOptions.parse(db.databaseUrl);
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            RunStatus status = RunStatus.read(c, db.schema);
            if (status == null) {
                System.out.println(json ? "{}" : "no pgbackfill run on " + url + " (schema " + db.schema + "); "
                    + "pgbackfill plan estimates one (it writes nothing), pgbackfill run starts one");
                return 0;
            }
            System.out.print(json ? status.toJson() + "\n" : Advice.status(status));
            return 0;
        } catch (SQLException e) {
            System.err.println("pgbackfill: cannot read the run's state from " + url + ": " + e.getMessage());
            return Main.exitCodeFor(e);
        }
    }
}
