package org.pgbackfill.engine;

import org.pgbackfill.job.Job;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One phase of the engine (plan, load and settle, build, catch-up, stamp), a small class of its
 * own. It is given what every phase shares by {@link PhaseContext}: the configuration, the job,
 * the control tables, the progress, the meters and this process's name; and it has the steps
 * every phase repeats: its clock (start said to the progress, report at the end), and whether a
 * phase is recorded as done ("once" phases run under the run lock and are skipped by a process
 * that finds them done).
 */
abstract class Step {
    private static final Logger log = LoggerFactory.getLogger(Step.class);

    final BackfillConfig config;
    final Job job;
    final ControlTables control;
    final ProgressListener progress;
    final RunMetrics metrics;
    final String owner;

    Step(PhaseContext runner) {
        this.config = runner.config();
        this.job = runner.job();
        this.control = runner.control();
        this.progress = runner.progress();
        this.metrics = runner.metrics();
        this.owner = runner.owner();
    }

    Clock clock(Phase phase) { return new Clock(progress, phase); }

    boolean online() { return config.mode() == BackfillConfig.Mode.ONLINE; }

    /** The time one phase takes, from its start (said to the progress) to its report. */
    static final class Clock {
        private final Phase phase;
        private final ProgressListener progress;
        private final long startNanos = System.nanoTime();

        Clock(ProgressListener progress, Phase phase) {
            this.phase = phase;
            this.progress = progress;
            progress.phaseStarted(phase);
        }

        double seconds() { return (System.nanoTime() - startNanos) / 1e9; }

        void finish(RunReport report, long rows, long bytes) { finish(report, new PhaseReport(phase, seconds(), rows, bytes)); }

        void finish(RunReport report, PhaseReport p) {
            report.addPhase(p);
            progress.phaseFinished(p);
            log.debug("phase {} done in {} s", phase.label(), String.format("%.2f", p.seconds()));
        }
    }

    boolean reached(Connection c, long runId, Phase phase) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT phase, finished_at IS NOT NULL FROM " + control.schema() + ".run WHERE run_id = " + runId)) {
            if (!rs.next()) return false;
            if (rs.getBoolean(2)) return true;
            return Phase.of(rs.getString(1)).ordinal() >= phase.ordinal();
        }
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static long walWritten(long atStart, long atEnd) { return atStart < 0 || atEnd < 0 ? -1 : atEnd - atStart; }
}
