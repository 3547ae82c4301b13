package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.control.HoldMonitor;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.DatabaseFailure;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.metrics.MetricsSampler;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The engine: runs one {@link Job} phase by phase — check, plan, load, settle, build, catch-up
 * (online), stamp. Each phase is recorded in the control table when it completes; the stamp is
 * the last thing written. Phases marked "once" run under the run lock, and a second process finds
 * them done; the load runs in every process, sharing the ranges through leases.
 *
 * <p>An unfinished earlier run (the process died) is picked up with the same fixed "now", its
 * partial work discarded and redone, so the result is the same as an uninterrupted run's. A
 * server lost mid-run (a restart, a failover) is waited for, and the run resumes from the phase
 * it recorded.
 */
public final class Backfill {
    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    /** A range holds at most about this much document data, so a retried range redoes little. */
    static final long MAX_RANGE_BYTES = 512L << 20;
    /** How many times one process waits for a server that went away mid-run (a restart, a failover) and resumes. */
    static final int MAX_RECONNECTS = 3;

    private final BackfillConfig config;
    /** The job; chosen at the check (it may follow from the database's revision). */
    private Job job;
    private final ProgressListener progress;
    private final ControlTables control;
    private final RunMetrics metrics;
    private final Throttle throttle;
    /** This process, as named in the range leases and as every one of its connections' application_name. */
    private final String owner = Owner.name();
    private volatile boolean stopRequested;
    /** What the phases share (once the job is known). */
    private PhaseContext steps;

    public Backfill(BackfillConfig config) {
        this.config = config;
        this.metrics = RunMetrics.on(config.meterRegistry());
        HoldLog holds = new HoldLog();
        ProgressListener meters = new ProgressListener() {   // the meters follow the phases too, and the log the holds
            @Override public void phaseStarted(Phase phase) { metrics.phaseStarted(phase); }
            @Override public void phaseFinished(PhaseReport report) { metrics.phaseFinished(report); }
            @Override public void held(String reason) {
                String line = holds.line(reason);
                if (line != null) log.info(line);
            }
        };
        this.progress = ProgressListener.both(meters, config.progress());
        this.control = new ControlTables(config.schema());
        this.throttle = new Throttle(config.maxRateBytesPerSecond(), this::stopping);
    }

    /** Asks the run to stop as soon as it can, leaving a state the next run resumes. */
    public void stop() { stopRequested = true; }

    boolean stopping() { return stopRequested; }

    public RunReport run() throws BackfillException {
        HeapWatch.install();
        RunReport report = new RunReport();
        report.workers(config.workers());
        int poolSize = ConnectionBudget.needed(config.workers(), config.writers());   // a cap: connections are opened as used
        try (Database db = new Database(config.database(), poolSize, owner, config.meterRegistry(), config.lockTimeout())) {
            return run(db, report);
        } catch (BackfillException e) {
            throw e;
        } catch (SQLException e) {
            throw classify(e);
        } catch (Exception e) {
            if (Database.SESSION_MOVED.equals(SqlStates.of(e))) throw classify(e);
            log.error("run failed", e);
            throw new BackfillException(Kind.RUN_FAILED, "the backfill failed: " + DatabaseFailure.rootMessage(e)
                + ". Nothing was stamped; fix the cause and run pgbackfill again: it resumes where it stopped", e);
        }
    }

    private RunReport run(Database db, RunReport report) throws Exception {
        ServerWait server = new ServerWait(db, progress, this::stopping);
        // check: every process checks; the run is found or created (and planned) under the run lock
        Step.Clock clock = new Step.Clock(progress, Phase.CHECK);
        SchemaCheck.Facts facts;
        long walAtStart;
        try (Connection c = connect(db, server)) {
            job = Jobs.chosen(c, config, (revision, known) -> progress.info("the database is at " + revision + ": running the "
                + known.name() + " job (Open WebUI's revision " + known.toRevision() + ", \"" + known.title() + "\")"));
            steps = new PhaseContext(config, job, control, progress, metrics, owner);
            report.job(job.name(), job.fromRevision(), job.toRevision());
            report.writes(job.writes(), job.resultDescription());
            progress.job(job.name(), job.writes());
            metrics.job(job.name(), job.writes());
            ControlTables.OpenRun open = control.openRun(c);
            facts = job.check(c, control, open != null && open.createdTarget());
            // a mode that does not fit the unfinished run is refused here, before the plan starts (and again under the run lock)
            if (!(config.restart() && config.mode() != BackfillConfig.Mode.FINISH)) new PlanStep(steps).requireMode(open);
            walAtStart = Database.walBytes(c);
        }
        report.serverVersion(facts.serverVersion());
        report.toastCompression(facts.toastCompression());
        if (facts.pglzReason() != null) progress.info(facts.pglzReason());
        try (MetricsSampler sampler = new MetricsSampler(db::connection, control, metrics, walAtStart)) {
            clock.finish(report, 0, 0);

            clock = new Step.Clock(progress, Phase.PLAN);
            ControlTables.OpenRun open = new PlanStep(steps).plan(db, facts);
            long runId = open.runId();
            sampler.run(runId);
            report.nowEpoch(open.nowEpoch());
            report.runId(runId);
            clock.finish(report, 0, 0);
            log.info("run {} on {} (PostgreSQL {}), now={}, {} worker{}, {} writer{}{}", runId, config.database(), facts.serverVersion(),
                open.nowEpoch(), config.workers(), config.workers() == 1 ? "" : "s", config.writers(), config.writers() == 1 ? "" : "s",
                open.online() ? ", online" : "");
            JobRun run = new JobRun(db, control, runId, open.nowEpoch(), facts, config.loadSettings(), config.maintenanceWorkMem(),
                config.lockTimeout(), online(), config.mode() == BackfillConfig.Mode.OFFLINE, metrics, throttle, progress, this::stopIfAsked);
            try (HoldMonitor holds = new HoldMonitor(db::connection, control, runId, owner, config.maxReplicationLagSeconds(),
                    config.maxActiveSessions(), throttle, progress).start()) {
                metrics.held(throttle);
                return resuming(run, report, walAtStart, server);
            }
        }
    }

    /**
     * The phases after the plan, again from the phase recorded each time the server goes away
     * (every phase resumes from what the control tables record, so losing the server costs only
     * the work in flight), up to {@link #MAX_RECONNECTS} times.
     */
    private RunReport resuming(JobRun run, RunReport report, long walAtStart, ServerWait server) throws Exception {
        for (int reconnects = 1; ; reconnects++) {
            try {
                return afterPlan(run, report, walAtStart);
            } catch (Exception e) {
                if (!SqlStates.serverWentAway(e) || stopping() || reconnects > MAX_RECONNECTS) throw e;
                metrics.retried("reconnect");
                progress.info("lost the server (" + DatabaseFailure.rootMessage(e) + "); waiting up to " + ServerWait.SERVER_WAIT_SECONDS
                    + " s for it, then resuming where the run is (" + reconnects + " of " + MAX_RECONNECTS + ")");
                try (Connection c = server.await(true)) {
                    // a session ended by pg_terminate_backend (an administrator stopping the run) stops it; a shutdown ends it too
                    // (57P01 as well), but then the server has restarted since
                    if (SqlStates.hasState(e, SqlStates.ADMIN_SHUTDOWN) && !server.restartedSince(c)) throw e;
                    ServerWait.endOwnStaleSessions(c, owner);
                    // the stamp's commit can reach the server while its answer is lost: then the run is done
                    if (new StampStep(steps).reached(c, run.runId(), Phase.STAMP)) {
                        progress.info("run " + run.runId() + " is finished: its last transaction committed before the connection broke");
                        report.rowsWritten(job.resultRows(c));
                        report.rejections(control.rejectionsByReason(c, run.runId()));
                        return report;
                    }
                }
            }
        }
    }

    private RunReport afterPlan(JobRun run, RunReport report, long walAtStart) throws Exception {
        new LoadAndSettle(steps).loadAndSettle(run, report);
        new BuildStep(steps).build(run, report);
        if (online() || config.mode() == BackfillConfig.Mode.FINISH) {
            new CatchUpStep(steps).catchUp(run, report);
            if (online()) {
                try (Connection c = run.db().connection()) {
                    report.walBytes(Step.walWritten(walAtStart, Database.walBytes(c)));
                }
                return report;
            }
        }
        new StampStep(steps).stamp(run, report, walAtStart);
        return report;
    }

    private void stopIfAsked(Phase phase) throws BackfillException {
        if (stopRequested) {
            throw new BackfillException(Kind.STOPPED, "stopped during " + phase.label() + " as asked; nothing is lost: run the same "
                + "command again to resume where it stopped");
        }
    }

    /** The check's connection, once the server answers and is known to give each connection a session of its own. */
    private Connection connect(Database db, ServerWait server) throws BackfillException {
        try {
            try (Connection c = server.await(false)) {
                new Preflight(config).check(db, c);
            }
            return db.connection();
        } catch (SQLException e) {
            throw classify(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException(Kind.STOPPED, "interrupted while waiting for the server; run the same command again");
        }
    }

    private boolean online() { return config.mode() == BackfillConfig.Mode.ONLINE; }

    /** Maps a database error to the failure a person can act on. */
    private BackfillException classify(Throwable e) {
        return DatabaseFailure.classify(e, config.database().toString(), "Run pgbackfill as the owner of Open WebUI's tables",
            "the backfill failed", "Nothing was stamped; fix the cause and run pgbackfill again");
    }

}
