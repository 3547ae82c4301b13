package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.db.SessionCheck;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.BackfillException;
import org.pgbackfill.engine.ConnectionBudget;
import org.pgbackfill.engine.DryRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** {@code pgbackfill plan}: a dry run. Writes nothing. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = {"A dry run: estimates the run's duration and the disk it needs. Writes nothing.",
        "Runs the checks of the job the database's revision calls for, measures chat by sampling, shows the ranges a run would use, "
            + "and calibrates read and decision speed for a few seconds."},
    footer = {"%nExamples:",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  pgbackfill plan",
        "  pgbackfill plan --workers 8 --calibration-seconds 10"})
final class PlanCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions db;

    @Option(names = "--workers", defaultValue = "${env:PGBACKFILL_WORKERS}",
        description = "The workers the run would use (default: the number of CPU cores). Env: PGBACKFILL_WORKERS.")
    Integer workers;

    @Mixin
    JobOption job;

    @Option(names = "--calibration-seconds", defaultValue = "3",
        description = "How long to read sample documents to measure speed (default: ${DEFAULT-VALUE}).")
    double calibrationSeconds;

    @Override
    public Integer call() {
        if (!(calibrationSeconds > 0 && calibrationSeconds <= 600)) {
            throw new IllegalArgumentException("--calibration-seconds must be more than 0 and at most 600, got " + calibrationSeconds);
        }
        BackfillConfig.Builder b = BackfillConfig.builder().database(DatabaseOptions.parse(db.databaseUrl)).schema(db.schema);
        if (workers != null) b.workers(workers);
        job.applyTo(b);
        BackfillConfig config = b.build();
        DatabaseUrl url = config.database();
        try {
            // as run does: through a pooler in transaction or statement mode, the run would refuse
            SessionCheck.Pooling pooling = SessionCheck.detect(() -> {
                java.util.Properties p = url.properties();
                p.setProperty("prepareThreshold", "0");
                return DriverManager.getConnection(url.jdbcUrl(), p);
            });
            if (pooling != SessionCheck.Pooling.NONE) {
                System.err.println("pgbackfill: " + SessionCheck.refusal(pooling, url));
                return ExitCodes.of(BackfillException.Kind.POOLER);
            }
        } catch (SQLException e) {
            System.err.println("pgbackfill: the dry run on " + url + " failed: " + e.getMessage());
            return Main.exitCodeFor(e);
        }
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            System.out.println("pgbackfill: dry run on " + url);
            System.out.print(DryRun.estimate(c, config, calibrationSeconds).describe(config.workers()));
            ConnectionBudget budget = ConnectionBudget.read(c, config.workers(), config.writers());
            System.out.println("connections: " + budget.describe() + (budget.fits() ? "" : "\nWARNING: they do not fit; run with at most "
                + budget.largestWorkersThatFit() + " workers, or free connections"));
            return 0;
        } catch (BackfillException e) {
            System.err.println("pgbackfill: " + Advice.message(e));
            return ExitCodes.of(e);
        } catch (SQLException e) {
            System.err.println("pgbackfill: the dry run on " + url + " failed: " + e.getMessage());
            return Main.exitCodeFor(e);
        }
    }
}
