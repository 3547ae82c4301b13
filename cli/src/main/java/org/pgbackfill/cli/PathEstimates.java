package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.DryRun;
import org.pgbackfill.path.BackfillJob;
import org.pgbackfill.path.StepEstimator;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * The upgrade path's estimates: each pgbackfill step calibrated on the database as {@code plan}
 * does ({@link DryRun#pathEstimate}), read only. A step that cannot be estimated (a role that may
 * not read chat, a server that went away) gets no estimate and a line on stderr that says why; the
 * path itself is printed all the same.
 */
final class PathEstimates implements StepEstimator {
    private final String databaseUrl;
    private final String schema;
    private final double calibrationSeconds;

    PathEstimates(String databaseUrl, String schema, double calibrationSeconds) {
        this.databaseUrl = databaseUrl;
        this.schema = schema;
        this.calibrationSeconds = calibrationSeconds;
    }

    @Override
    public Optional<Duration> estimate(BackfillJob job) {
        BackfillConfig config = BackfillConfig.builder().databaseUrl(databaseUrl).schema(schema).job(job.key()).build();
        DatabaseUrl url = config.database();
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            DryRun.Estimate e = DryRun.pathEstimate(c, config, calibrationSeconds);
            return Optional.of(Duration.ofMillis(Math.round(e.totalSeconds() * 1000)));
        } catch (SQLException | RuntimeException e) {
            System.err.println("pgbackfill: no estimate for the " + job.key() + " step: " + e.getMessage());
            return Optional.empty();
        }
    }
}
