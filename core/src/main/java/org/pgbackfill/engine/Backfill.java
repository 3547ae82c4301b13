package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.control.HoldMonitor;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.DatabaseFailure;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.job.Capture;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.job.RangeDifference;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.metrics.MetricsSampler;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.phase.IndexProgress;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.RunLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

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
    /** Catch-up passes of an online run at most; it stops earlier once a pass finds this few changed chats or fewer. */
    static final int MAX_CATCH_UP_PASSES = 20;
    static final long CAUGHT_UP_CHATS = 100;
    /** How many times a reconciliation may send ranges back to be loaded before the run gives up. */
    static final int MAX_RECONCILIATIONS = 2;

    private final BackfillConfig config;
    private final Job job;
    private final ProgressListener progress;
    private final ControlTables control;
    private final RunMetrics metrics;
    private final Throttle throttle;
    /** This process, as named in the range leases and as every one of its connections' application_name. */
    private final String owner = Owner.name();
    private volatile boolean stopRequested;

    public Backfill(BackfillConfig config) {
        this.config = config;
        this.job = config.newJob();
        this.metrics = new RunMetrics(config.meterRegistry());
        ProgressListener told = config.progress();
        this.progress = new ProgressListener() {   // the meters follow the phases too
            @Override public void phaseStarted(Phase phase) { metrics.phaseStarted(phase); told.phaseStarted(phase); }
            @Override public void phaseFinished(PhaseReport report) { metrics.phaseFinished(report); told.phaseFinished(report); }
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsWritten) { told.loadProgress(bytesRead, fractionDone, rowsWritten); }
            @Override public void buildProgress(int done, int total, List<IndexProgress> building) { told.buildProgress(done, total, building); }
            @Override public void catchUpProgress(int pass, long done, long pending) { told.catchUpProgress(pass, done, pending); }
            @Override public void info(String message) { told.info(message); }
            @Override public void held(String reason) {
                if (reason != null) log.info("holding: {}", reason); else log.info("no longer held");
                told.held(reason);
            }
        };
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
        PhaseClock clock = new PhaseClock(Phase.CHECK);
        SchemaCheck.Facts facts;
        long walAtStart;
        try (Connection c = connect(db, server)) {
            ControlTables.OpenRun open = control.openRun(c);
            facts = job.check(c, control, open != null && open.createdTarget());
            walAtStart = Database.walBytes(c);
        }
        report.serverVersion(facts.serverVersion());
        report.toastCompression(facts.toastCompression());
        if (!facts.lz4()) progress.info(facts.pglzReason());
        try (MetricsSampler sampler = new MetricsSampler(db::connection, control, metrics, walAtStart)) {
            clock.finish(report, 0, 0);

            clock = new PhaseClock(Phase.PLAN);
            ControlTables.OpenRun open = plan(db, facts);
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
                    if (reached(c, run.runId(), Phase.STAMP)) {
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
        loadAndSettle(run, report);
        build(run, report);
        if (online() || config.mode() == BackfillConfig.Mode.FINISH) {
            catchUp(run, report);
            if (online()) {
                try (Connection c = run.db().connection()) {
                    report.walBytes(walWritten(walAtStart, Database.walBytes(c)));
                }
                return report;
            }
        }
        stamp(run, report, walAtStart);
        return report;
    }

    /**
     * plan (once, under the run lock): the unfinished run is found (or abandoned, with --restart),
     * or a new one is started — the change capture first when online, then the ranges and the
     * job's target, in one transaction.
     */
    private ControlTables.OpenRun plan(Database db, SchemaCheck.Facts facts) throws Exception {
        try (RunLock lock = RunLock.take(db, control)) {
            Connection c = lock.connection();
            control.create(c);
            Capture capture = job.capture(control);
            ControlTables.OpenRun open = control.openRun(c);
            if (open != null && config.restart() && config.mode() != BackfillConfig.Mode.FINISH) {
                progress.info("--restart: abandoning unfinished run " + open.runId() + " (phase " + open.phase() + ") and starting over");
                if (open.createdTarget()) job.dropTarget(c);
                capture.remove(c);
                control.abandon(c, open.runId());
                open = null;
            }
            requireMode(open);
            ControlTables.OpenRun run;
            if (open == null) {
                // the check ran before this lock: meanwhile another process may have finished a whole run (and stamped),
                // or someone else migrated; judged again here, so that nothing starts over a finished database
                job.check(c, control, false);
                long now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
                // the capture first: every change committed after it is recorded, and nothing has been read yet
                if (online()) capture.install(c);
                c.setAutoCommit(false);
                long runId = control.startRun(c, now, config.workers(), online());
                RangePlanner.Plan plan = new RangePlanner(config.workers() * config.rangesPerWorker(), MAX_RANGE_BYTES, job.scope()).plan(c);
                control.saveRanges(c, runId, plan.ranges());
                job.createTarget(c);
                control.createdTarget(c, runId);
                control.phase(c, runId, Phase.PLAN);
                c.commit();
                c.setAutoCommit(true);
                run = new ControlTables.OpenRun(runId, now, false, Phase.PLAN.label(), online());
                log.info("planned {} ranges over about {} chats and {} MB of stored documents", plan.ranges().size(),
                    plan.estimatedChats(), plan.estimatedBytes() / 1_000_000);
            } else {
                run = open;
                if (config.nowEpoch() != null && config.nowEpoch() != run.nowEpoch()) {
                    progress.info("resuming run " + run.runId() + " with its original now=" + run.nowEpoch() + " (ignoring --now-epoch "
                        + config.nowEpoch() + ")");
                }
                progress.info("resuming unfinished run " + run.runId() + " (last phase completed: " + run.phase()
                    + "); finished work is kept");
            }
            control.toastCompression(c, run.runId(), facts.toastCompression());
            return run;
        }
    }

    /**
     * load (every process), then settle (once): ranges are claimed by every process until all are
     * loaded; the job's reconciliation then compares what each range recorded with what the target
     * holds, and a range that differs is loaded again, at most {@link #MAX_RECONCILIATIONS} times.
     */
    private void loadAndSettle(JobRun run, RunReport report) throws Exception {
        LoadRounds rounds = new LoadRounds(job, run, owner);
        for (int reconciliations = 0; ; ) {
            PhaseClock clock = new PhaseClock(Phase.LOAD);
            LoadPhase.Result load = rounds.load(estimatedBytes(run));
            // added to the report, not kept here: a reconnect runs these phases again, and the report spans every pass
            report.chatsRead(report.chatsRead() + load.chats());
            report.documentBytes(report.documentBytes() + load.documentBytes());
            report.rowsLoaded(report.rowsLoaded() + load.rowsWritten());
            try (Connection c = run.db().connection()) {
                if (!reached(c, run.runId(), Phase.LOAD)) control.phase(c, run.runId(), Phase.LOAD);
            }
            clock.finish(report, load.rowsWritten(), load.documentBytes());

            clock = new PhaseClock(Phase.SETTLE);
            rounds.awaitRanges("loaded", "pending");
            long settled = 0;
            boolean again = false;
            try (RunLock lock = RunLock.take(run.db(), control)) {
                Connection c = lock.connection();
                if (!reached(c, run.runId(), Phase.SETTLE)) {
                    List<RangeDifference> differences = List.of();
                    if (count(c, "SELECT count(*) FROM " + control.schema() + ".range WHERE run_id = " + run.runId()
                            + " AND state NOT IN ('loaded', 'merged')") > 0) {
                        again = true;   // ranges given back (reopened below by another process, or by one that died): load them
                    } else {
                        differences = job.reconcile(c, run);
                    }
                    if (!again && differences.isEmpty()) {
                        c.setAutoCommit(false);
                        settled = control.settleLoadedRanges(c, run.runId());
                        control.phase(c, run.runId(), Phase.SETTLE);
                        c.commit();
                        c.setAutoCommit(true);
                        metrics.settled(settled);
                    } else if (!differences.isEmpty()) {
                        String which = differences.stream().map(RangeDifference::describe).collect(Collectors.joining("; "));
                        if (++reconciliations > MAX_RECONCILIATIONS) {
                            throw new BackfillException(Kind.RUN_FAILED, job.target() + " does not hold what the load recorded, after "
                                + "loading the ranges again " + MAX_RECONCILIATIONS + " times: " + which + ". Nothing was stamped. "
                                + (config.mode() == BackfillConfig.Mode.OFFLINE ? "If Open WebUI is running, stop it and run pgbackfill "
                                + "again; otherwise report this with the log" : "Report this with the log"));
                        }
                        progress.info("reconciliation: " + which + "; loading " + (differences.size() == 1 ? "that range" : "those "
                            + differences.size() + " ranges") + " again");
                        control.reopen(c, run.runId(), differences.stream().map(RangeDifference::rangeId).toList());
                        again = true;
                    }
                }
            }
            clock.finish(report, settled, 0);
            if (!again) return;
            Thread.sleep(500);   // ranges another process holds, or lapsed leases not yet claimable: not a busy loop
        }
    }

    /** build (once, under the run lock; a second process waits, then finds it done). */
    private void build(JobRun run, RunReport report) throws Exception {
        PhaseClock clock = new PhaseClock(Phase.BUILD);
        long builtBytes;
        boolean built = false;
        try (RunLock lock = RunLock.take(run.db(), control)) {
            Connection c = lock.connection();
            if (!reached(c, run.runId(), Phase.BUILD)) {
                try (BuildWatch watch = BuildWatch.start(run.db()::connection, progress)) {
                    job.build(c, run);
                }
                control.phase(c, run.runId(), Phase.BUILD);
                built = true;
            }
            builtBytes = job.builtBytes(c);
        }
        // a build an earlier run or another process did is reported as skipped, not as a build at an absurd rate
        clock.finish(report, built ? new PhaseReport(Phase.BUILD, clock.seconds(), 0, builtBytes)
            : PhaseReport.skipped(Phase.BUILD, clock.seconds(), builtBytes));
    }

    /** catch-up (online runs and finish; under the run lock): passes over the captured changes until few are left. */
    private void catchUp(JobRun run, RunReport report) throws Exception {
        PhaseClock clock = new PhaseClock(Phase.CATCH_UP);
        long rows = 0;
        try (RunLock lock = RunLock.take(run.db(), control)) {
            Connection c = lock.connection();
            for (int pass = 1; pass <= MAX_CATCH_UP_PASSES; pass++) {
                stopIfAsked(Phase.CATCH_UP);
                int n = pass;
                CatchUp.Pass p = job.catchUp(c, run, (done, pending) -> progress.catchUpProgress(n, done, pending));
                rows += p.rows();
                log.info("catch-up pass {}: {} changed chats, {} rows, {} s", pass, p.chats(), p.rows(), String.format("%.2f", p.seconds()));
                if (p.chats() <= CAUGHT_UP_CHATS) break;
            }
            if (online()) {
                long pending = job.capture(control).pending(c);
                report.rowsWritten(job.resultRows(c));
                report.rejections(control.rejectionsByReason(c, run.runId()));
                progress.info(job.target() + " is built and current (" + pending + " changed chats pending); Open WebUI can keep "
                    + "serving. To cut over: stop Open WebUI, run pgbackfill finish, start the new version");
            }
        }
        clock.finish(report, rows, 0);   // rows, as every phase's column says; the chats are in the log
    }

    /** stamp (once, under the run lock): the job's last steps and the Alembic stamp, in the transaction that marks the run finished. */
    private void stamp(JobRun run, RunReport report, long walAtStart) throws Exception {
        PhaseClock clock = new PhaseClock(Phase.STAMP);
        try (RunLock lock = RunLock.take(run.db(), control)) {
            Connection c = lock.connection();
            ControlTables.OpenRun open = control.openRun(c);
            if (open != null && open.runId() == run.runId()) {
                c.setAutoCommit(false);
                job.stamp(c, run);
                control.finish(c, run.runId());
                c.commit();
                c.setAutoCommit(true);
            } else {
                progress.info("run " + run.runId() + " was finished by another process");
            }
            report.rowsWritten(job.resultRows(c));
            report.rejections(control.rejectionsByReason(c, run.runId()));
            report.walBytes(walWritten(walAtStart, Database.walBytes(c)));
        }
        clock.finish(report, 0, 0);
    }

    private static long walWritten(long atStart, long atEnd) { return atStart < 0 || atEnd < 0 ? -1 : atEnd - atStart; }

    /** The time one phase takes, from its start (said to the progress) to its report. */
    private final class PhaseClock {
        private final Phase phase;
        private final long startNanos = System.nanoTime();

        PhaseClock(Phase phase) {
            this.phase = phase;
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

    private boolean reached(Connection c, long runId, Phase phase) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT phase, finished_at IS NOT NULL FROM " + control.schema() + ".run WHERE run_id = " + runId)) {
            if (!rs.next()) return false;
            if (rs.getBoolean(2)) return true;
            return Phase.of(rs.getString(1)).ordinal() >= phase.ordinal();
        }
    }

    private long estimatedBytes(JobRun run) throws SQLException {
        try (Connection c = run.db().connection()) {
            return count(c, "SELECT coalesce(sum(estimated_bytes), 0) FROM " + control.schema() + ".range WHERE run_id = " + run.runId());
        }
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

    /** The mode asked for must fit the unfinished run, if any. */
    private void requireMode(ControlTables.OpenRun open) throws BackfillException {
        BackfillConfig.Mode mode = config.mode();
        if (mode == BackfillConfig.Mode.FINISH && (open == null || !open.online())) {
            throw new BackfillException(Kind.WRONG_MODE, open == null ? "there is no unfinished online run to finish; "
                + "pgbackfill run --online starts one (or pgbackfill run does the whole backfill offline)"
                : "the unfinished run " + open.runId() + " is an offline run: finish it with pgbackfill run (or start over with --restart)");
        }
        if (open != null && open.online() && mode == BackfillConfig.Mode.OFFLINE) {
            throw new BackfillException(Kind.WRONG_MODE, "run " + open.runId() + " is an online run: catch it up with pgbackfill run --online, "
                + "or stop Open WebUI and complete it with pgbackfill finish (or start over with --restart)");
        }
        if (open != null && !open.online() && mode == BackfillConfig.Mode.ONLINE) {
            throw new BackfillException(Kind.WRONG_MODE, "run " + open.runId() + " is an unfinished offline run: finish it with "
                + "pgbackfill run (Open WebUI stopped), or start over online with pgbackfill run --online --restart");
        }
    }

    /** Maps a database error to the failure a person can act on. */
    private BackfillException classify(Throwable e) {
        return DatabaseFailure.classify(e, config.database().toString(), "Run pgbackfill as the owner of Open WebUI's tables",
            "the backfill failed", "Nothing was stamped; fix the cause and run pgbackfill again");
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
