package org.pgbackfill.run;

import org.pgbackfill.db.Database;
import org.pgbackfill.db.SessionCheck;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.plan.KeyRange;
import org.pgbackfill.plan.RangePlanner;
import org.pgbackfill.run.BackfillException.Kind;
import org.pgbackfill.schema.AlembicStamp;
import org.pgbackfill.schema.IndexBuilder;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.schema.TargetTable;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.online.ChangeCapture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pgbackfill.schema.TargetSchema;

/**
 * The chat_message backfill, phase by phase: check, plan, load, merge, build, stamp. Each phase
 * is recorded in the control table when it completes; the stamp is the last thing written.
 *
 * <p>An unfinished earlier run (the process died) is picked up with the same fixed "now", its
 * partial work discarded and redone, so the result is the same as an uninterrupted run's.
 */
public final class Backfill {
    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    /** A range holds at most about this much document data, so a retried range redoes little. */
    static final long MAX_RANGE_BYTES = 512L << 20;

    private final BackfillConfig config;
    private final ProgressListener progress;
    private final ControlTables control;
    private final RunMetrics metrics;
    private final Throttle throttle;

    public Backfill(BackfillConfig config) {
        this.config = config;
        this.metrics = new RunMetrics(config.meterRegistry());
        ProgressListener told = config.progress();
        this.progress = new ProgressListener() {   // the meters follow the phases too
            @Override public void phaseStarted(Phase phase) { metrics.phaseStarted(phase); told.phaseStarted(phase); }
            @Override public void phaseFinished(PhaseReport report) { metrics.phaseFinished(report); told.phaseFinished(report); }
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsWritten) { told.loadProgress(bytesRead, fractionDone, rowsWritten); }
            @Override public void buildProgress(int done, int total, List<IndexProgress> building) { told.buildProgress(done, total, building); }
            @Override public void info(String message) { told.info(message); }
            @Override public void held(String reason) {
                if (reason != null) log.info("holding: {}", reason); else log.info("no longer held");
                told.held(reason);
            }
        };
        this.control = new ControlTables(config.schema());
        this.throttle = new Throttle(config.maxRateBytesPerSecond(), this::stopping);
    }

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
            if (Database.SESSION_MOVED.equals(DatabaseFailure.sqlState(e))) throw classify(e);
            log.error("run failed", e);
            throw new BackfillException(Kind.RUN_FAILED, "the backfill failed: " + rootMessage(e)
                + ". Nothing was stamped; fix the cause and run pgbackfill again: it resumes where it stopped", e);
        }
    }

    /** Reads the database's meters while the run lasts; closed before the pool. */
    private MetricsSampler sampler;

    private RunReport run(Database db, RunReport report) throws Exception {
        try {
            return runPhases(db, report);
        } finally {
            if (sampler != null) sampler.close();
        }
    }

    private RunReport runPhases(Database db, RunReport report) throws Exception {
        // check: every process checks; the run is found or created (and planned) under the run lock
        long t0 = System.nanoTime();
        progress.phaseStarted(Phase.CHECK);
        SchemaCheck.Facts facts;
        ControlTables.OpenRun run;
        long walAtStart;
        try (Connection c = connect(db)) {
            ControlTables.OpenRun open = control.openRun(c);
            facts = SchemaCheck.check(c, control, open != null && open.createdTarget());
            walAtStart = walBytes(c);
        }
        report.serverVersion(facts.serverVersion());
        report.toastCompression(facts.toastCompression());
        if (!facts.lz4()) progress.info(facts.pglzReason());
        sampler = new MetricsSampler(db::connection, control, metrics, walAtStart);
        finishPhaseTiming(report, Phase.CHECK, t0, 0, 0);

        t0 = System.nanoTime();
        progress.phaseStarted(Phase.PLAN);
        RangePlanner.Plan plan = null;
        try (RunLock lock = RunLock.take(db, control)) {
            Connection c = lock.connection();
            control.create(c);
            ControlTables.OpenRun open = control.openRun(c);
            if (open != null && config.restart() && config.mode() != BackfillConfig.Mode.FINISH) {
                progress.info("--restart: abandoning unfinished run " + open.runId() + " (phase " + open.phase() + ") and starting over");
                if (open.createdTarget()) execute(c, "DROP TABLE IF EXISTS chat_message");
                new ChangeCapture(control.schema()).remove(c);
                control.abandon(c, open.runId());
                open = null;
            }
            requireMode(open);
            if (open == null) {
                // the check ran before this lock: meanwhile another process may have finished a whole run (and stamped),
                // or someone else migrated; judged again here, so that nothing starts over a finished database
                SchemaCheck.check(c, control, false);
                long now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
                // the capture first: every change committed after it is recorded, and nothing has been read yet
                if (online()) new ChangeCapture(control.schema()).install(c);
                c.setAutoCommit(false);
                long runId = control.startRun(c, now, config.workers(), online());
                plan = new RangePlanner(config.workers() * config.rangesPerWorker(), MAX_RANGE_BYTES).plan(c);
                control.saveRanges(c, runId, plan.ranges());
                TargetTable.create(c);
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
        }
        long runId = run.runId();
        long now = run.nowEpoch();
        sampler.run(runId);
        report.nowEpoch(now);
        report.runId(runId);
        finishPhaseTiming(report, Phase.PLAN, t0, 0, 0);
        log.info("run {} on {} (PostgreSQL {}), now={}, {} worker{}, {} writer{}{}", runId, config.database(), facts.serverVersion(), now,
            config.workers(), config.workers() == 1 ? "" : "s", config.writers(), config.writers() == 1 ? "" : "s", run.online() ? ", online" : "");
        try (HoldMonitor holds = new HoldMonitor(db::connection, control, runId, owner, config.maxReplicationLagSeconds(),
                config.maxActiveSessions(), throttle, progress).start()) {
            metrics.held(throttle);
            for (int reconnects = 1; ; reconnects++) {
                try {
                    return phasesAfterPlan(db, report, facts, runId, now, walAtStart);
                } catch (Exception e) {
                    // every phase resumes from what the control tables record, so losing the server costs only the work in flight
                    if (!serverWentAway(e) || stopping() || reconnects > MAX_RECONNECTS) throw e;
                    metrics.retried("reconnect");
                    progress.info("lost the server (" + rootMessage(e) + "); waiting up to " + SERVER_WAIT_SECONDS + " s for it, then "
                        + "resuming where the run is (" + reconnects + " of " + MAX_RECONNECTS + ")");
                    try (Connection c = awaitServer(db, true)) {
                        // a session ended by pg_terminate_backend (an administrator stopping the run) stops it; a shutdown ends it too
                        // (57P01 as well), but then the server has restarted since
                        if (DatabaseFailure.hasState(e, "57P01") && serverStart(c).equals(serverStart)) throw e;
                        endOwnStaleSessions(c);
                        // the stamp's commit can reach the server while its answer is lost: then the run is done
                        if (reached(c, runId, Phase.STAMP)) {
                            progress.info("run " + runId + " is finished: its last transaction committed before the connection broke");
                            report.rowsWritten(count(c, "SELECT count(*) FROM chat_message"));
                            report.rejections(control.rejectionsByReason(c, runId));
                            return report;
                        }
                    }
                }
            }
        }
    }

    /** When the server last started (pg_postmaster_start_time), as read at the check. */
    private String serverStart = "";

    private static String serverStart(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_postmaster_start_time()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * After a connection broke only on this side (a network partition, a proxy), the server may still
     * run this process's old sessions, holding the run lock or row locks until its keepalive notices:
     * those opened before the reconnect are ended, so the resumed run does not wait for itself.
     */
    private void endOwnStaleSessions(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                + "WHERE application_name = ? AND pid <> pg_backend_pid() AND backend_start < (SELECT backend_start FROM pg_stat_activity "
                + "WHERE pid = pg_backend_pid())")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) > 0) log.info("ended {} session(s) of this process left from before the reconnect", rs.getLong(1));
            }
        }
    }

    /** How many times one process waits for a server that went away mid-run (a restart, a failover) and resumes. */
    static final int MAX_RECONNECTS = 3;

    /**
     * Whether a failure is the server going away rather than the work failing: the connection
     * broke (SQLSTATE class 08), or the server is shutting down, crashed or is starting up (57P01,
     * 57P02, 57P03), anywhere along the causes.
     */
    static boolean serverWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) return true;
            }
            if (t.getCause() == t) break;
        }
        return false;
    }

    private RunReport phasesAfterPlan(Database db, RunReport report, SchemaCheck.Facts facts, long runId, long now, long walAtStart)
            throws Exception {
        long t0;

        // load, then the reconciliation: ranges claimed by every process until all are loaded; a range
        // whose rows (or, offline, chats) are not what it recorded is loaded again, at most MAX_RECONCILIATIONS times
        long merged = 0;
        for (int reconciliations = 0; ; ) {
            longIndexRows = -1;   // counted again by this round's reconciliation, if this process does it
            t0 = System.nanoTime();
            progress.phaseStarted(Phase.LOAD);
            long planned = estimatedBytes(db, runId);
            LoadPhase.Result load = load(db, runId, now, facts, planned);
            // added to the report, not kept here: a reconnect runs these phases again, and the report spans every pass
            report.chatsRead(report.chatsRead() + load.chats());
            report.documentBytes(report.documentBytes() + load.documentBytes());
            report.rowsLoaded(report.rowsLoaded() + load.rowsWritten());
            finishPhase(report, Phase.LOAD, t0, load.rowsWritten(), load.documentBytes(), db, runId);

            // merge: the loaded ranges reconciled and made final, once (the rows are in chat_message already)
            t0 = System.nanoTime();
            progress.phaseStarted(Phase.SETTLE);
            awaitRanges(db, runId, "loaded", "pending");
            List<Reconciliation.Difference> differences = List.of();
            boolean again = false;
            try (RunLock lock = RunLock.take(db, control)) {
                Connection c = lock.connection();
                if (!reached(c, runId, Phase.SETTLE)) {
                    if (count(c, "SELECT count(*) FROM " + control.schema() + ".range WHERE run_id = " + runId
                            + " AND state NOT IN ('loaded', 'merged')") > 0) {
                        again = true;   // ranges given back (reopened below by another process, or by one that died): load them
                    } else {
                        Reconciliation.Result r = Reconciliation.check(c, control.schema(), runId, facts.idCollation(),
                            config.mode() == BackfillConfig.Mode.OFFLINE);
                        differences = r.differences();
                        longIndexRows = r.longIndexRows();
                    }
                    if (!again && differences.isEmpty()) {
                        c.setAutoCommit(false);
                        merged = control.settleLoadedRanges(c, runId);
                        control.phase(c, runId, Phase.SETTLE);
                        c.commit();
                        c.setAutoCommit(true);
                        metrics.settled(merged);
                    } else if (!differences.isEmpty()) {
                        String which = differences.stream().map(Reconciliation.Difference::describe).collect(Collectors.joining("; "));
                        if (++reconciliations > MAX_RECONCILIATIONS) {
                            throw new BackfillException(Kind.RUN_FAILED, "chat_message does not hold what the load recorded, after loading "
                                + "the ranges again " + MAX_RECONCILIATIONS + " times: " + which + ". Nothing was stamped. "
                                + (config.mode() == BackfillConfig.Mode.OFFLINE ? "If Open WebUI is running, stop it and run pgbackfill "
                                + "again; otherwise report this with the log" : "Report this with the log"));
                        }
                        progress.info("reconciliation: " + which + "; loading " + (differences.size() == 1 ? "that range" : "those "
                            + differences.size() + " ranges") + " again");
                        control.reopen(c, runId, differences.stream().map(Reconciliation.Difference::rangeId).toList());
                        again = true;
                    }
                }
            }
            finishPhaseTiming(report, Phase.SETTLE, t0, merged, 0);
            if (!again) break;
            Thread.sleep(500);   // ranges another process holds, or lapsed leases not yet claimable: not a busy loop
        }

        // build: once, under the run lock (a second process waits, then finds it done)
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.BUILD);
        long indexBytes = 0;
        boolean built = false;
        try (RunLock lock = RunLock.take(db, control)) {
            Connection c = lock.connection();
            if (!reached(c, runId, Phase.BUILD)) {
                try (BuildWatch watch = BuildWatch.start(db::connection, progress)) {
                    build(db, c, runId, facts);
                }
                control.phase(c, runId, Phase.BUILD);
                built = true;
            }
            indexBytes = count(c, "SELECT pg_indexes_size('chat_message')");
        }
        // a build an earlier run or another process did is reported as skipped, not as a build at an absurd rate
        finishPhaseTiming(report, built ? new PhaseReport(Phase.BUILD, (System.nanoTime() - t0) / 1e9, 0, indexBytes)
            : PhaseReport.skipped(Phase.BUILD, (System.nanoTime() - t0) / 1e9, indexBytes));

        ChangeCapture capture = new ChangeCapture(control.schema());
        CatchUp catchUp = new CatchUp(control.schema(), runId, now, config.inlineDocumentBytes(), facts.asciiJson(), facts.idCollation(),
            throttle);
        if (online() || config.mode() == BackfillConfig.Mode.FINISH) {
            t0 = System.nanoTime();
            progress.phaseStarted(Phase.CATCH_UP);
            long chats = 0, rows = 0;
            try (RunLock lock = RunLock.take(db, control)) {
                Connection c = lock.connection();
                for (int pass = 1; pass <= MAX_CATCH_UP_PASSES; pass++) {
                    stopIfAsked(Phase.CATCH_UP);
                    int n = pass;
                    CatchUp.Pass p = catchUp.pass(c, (done, pending) -> progress.catchUpProgress(n, done, pending));
                    chats += p.chats();
                    rows += p.rows();
                    log.info("catch-up pass {}: {} changed chats, {} rows, {} s", pass, p.chats(), p.rows(), String.format("%.2f", p.seconds()));
                    if (p.chats() <= CAUGHT_UP_CHATS) break;
                }
                if (online()) {
                    long pending = capture.pending(c);
                    report.rowsWritten(count(c, "SELECT count(*) FROM chat_message"));
                    report.rejections(control.rejectionsByReason(c, runId));
                    progress.info("chat_message is built and current (" + pending + " changed chats pending); Open WebUI can keep serving. "
                        + "To cut over: stop Open WebUI, run pgbackfill finish, start the new version");
                }
            }
            finishPhaseTiming(report, Phase.CATCH_UP, t0, rows, 0);   // rows, as every phase's column says; the chats are in the log
            if (online()) {
                try (Connection c = db.connection()) {
                    long walAtEnd = walBytes(c);
                    report.walBytes(walAtStart < 0 || walAtEnd < 0 ? -1 : walAtEnd - walAtStart);
                }
                return report;
            }
        }

        t0 = System.nanoTime();
        progress.phaseStarted(Phase.STAMP);
        try (RunLock lock = RunLock.take(db, control)) {
            Connection c = lock.connection();
            if (control.openRun(c) != null && control.openRun(c).runId() == runId) {
                c.setAutoCommit(false);
                if (capture.installed(c)) {
                    // no write to chat can slip between the last catch-up and the stamp (the application should be stopped)
                    execute(c, "SET LOCAL lock_timeout = '" + config.lockTimeout() + "'", "LOCK TABLE chat IN SHARE MODE");
                    CatchUp.Pass last = catchUp.drainInTransaction(c);
                    if (last.chats() > 0) log.info("final catch-up: {} changed chats, {} rows", last.chats(), last.rows());
                    // no orphan can exist: the foreign key (ON DELETE CASCADE) has been in place and valid since the build
                    if (!foreignKeyValidated(c)) {
                        throw new BackfillException(Kind.RUN_FAILED, "chat_message_chat_id_fkey is missing or not validated, although the "
                            + "online run built it; nothing was stamped. Run pgbackfill finish again; if this repeats, report it");
                    }
                    capture.remove(c);
                }
                AlembicStamp.stamp(c);
                control.finish(c, runId);
                c.commit();
                c.setAutoCommit(true);
            } else {
                progress.info("run " + runId + " was finished by another process");
            }
            report.rowsWritten(count(c, "SELECT count(*) FROM chat_message"));
            report.rejections(control.rejectionsByReason(c, runId));
            long walAtEnd = walBytes(c);
            report.walBytes(walAtStart < 0 || walAtEnd < 0 ? -1 : walAtEnd - walAtStart);
        }
        finishPhaseTiming(report, Phase.STAMP, t0, 0, 0);
        return report;
    }

    /**
     * The eight indexes in parallel; if the data stopped one (ids shared between chats, values too
     * long for a btree entry), those rows are recorded and removed and the failed indexes built
     * again. Then the primary key, and the foreign key.
     */
    private void build(Database db, Connection c, long runId, SchemaCheck.Facts facts) throws Exception {
        endOrphanedBuilds(c);
        IndexBuilder builder = new IndexBuilder(config.maintenanceWorkMem(), config.lockTimeout());
        int parallel = indexBuildParallelism(config.workers());
        TargetTable target = new TargetTable(control.schema(), facts.idCollation());
        if (longIndexRows != 0) {
            // which long values fit in an index entry is judged as upstream's row-by-row INSERT judges it (SPEC 6)
            TargetTable.Judged judged = target.judgeLongRows(c, runId);
            if (judged.rejected() > 0) {
                progress.info(tooLong(judged.rejected()));
            }
            metrics.rejected("INDEX_ROW_TOO_LARGE", judged.rejected());
            if (judged.changed()) target.forgetDeletedRows(c, 600);
        }
        List<IndexBuilder.Failure> failed = builder.buildIndexes(db::connection, parallel, IndexBuilder.ALL);
        stopIfAsked(Phase.BUILD);
        if (!failed.isEmpty()) {
            // expected on real data, not a failure: say so, and keep the server's error text for DEBUG
            log.info("{} not built yet: some rows cannot go in as they are (ids shared between chats, or values too long for an "
                + "index entry); recording them as rejections, as Open WebUI's own migration would, then building again",
                failed.stream().map(IndexBuilder.Failure::index).toList());
            log.debug("the server said: {}", failed.get(0).cause().getMessage());
            // values judged above fit; a row too large still (none expected) is judged again, the same way
            boolean tooLarge = failed.stream().anyMatch(f -> "54000".equals(f.cause().getSQLState()));
            long oversized = tooLarge ? target.judgeLongRows(c, runId).rejected() : 0;
            if (oversized > 0) progress.info(tooLong(oversized));
            long duplicates = target.resolveCollisions(c, runId);
            if (duplicates > 0) {
                progress.info(duplicates == 1 ? "1 row shared its id with a row of another chat; kept upstream's winner, recorded the other"
                    : duplicates + " rows shared an id with a row of another chat; kept upstream's winner, recorded the rest");
            }
            metrics.rejected("INDEX_ROW_TOO_LARGE", oversized);
            metrics.rejected("DUPLICATE_ID", duplicates);
            // a deleted row too large for an index entry is still indexed while an older snapshot may see it
            if (tooLarge) target.forgetDeletedRows(c, 600);
            List<String> names = failed.stream().map(IndexBuilder.Failure::index).toList();
            List<IndexBuilder.Failure> again = builder.buildIndexes(db::connection, parallel,
                IndexBuilder.ALL.stream().filter(ix -> names.contains(ix[0])).toList());
            if (!again.isEmpty()) throw again.get(0).cause();
        }
        builder.addPrimaryKey(c);
        stopIfAsked(Phase.BUILD);
        // online, the application writes to chat: the key's moment of SHARE ROW EXCLUSIVE lock on chat is tried briefly, again and again
        long orphans = online() ? builder.addForeignKey(c, ChangeCapture.INSTALL_LOCK_TIMEOUT, ChangeCapture.INSTALL_TRIES)
            : builder.addForeignKey(c);
        if (orphans > 0) progress.info(orphans + " rows belonged to chats deleted during the run and were removed");
    }

    /**
     * A process killed during the build leaves its index builds running on the server: a busy
     * backend does not notice its client is gone until the statement ends, and its session holds an
     * old snapshot and the names it is creating. Whoever holds the run lock is the only one who may
     * build, so any other pgbackfill session still running DDL on chat_message is such an orphan:
     * it is terminated, and waited for, before this build starts (it would otherwise fail this one,
     * or keep rows set aside visible to it).
     */
    private void endOrphanedBuilds(Connection c) throws SQLException, InterruptedException {
        String orphans = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            + "AND application_name LIKE 'pgbackfill%' AND state <> 'idle' "
            + "AND query ~* '^\\s*(CREATE\\s+(UNIQUE\\s+)?INDEX|ALTER\\s+TABLE|DELETE\\s+FROM)\\s.*chat_message'";
        long ended = count(c, "SELECT count(pg_terminate_backend(pid)) " + orphans);
        if (ended == 0) return;
        progress.info("ended " + ended + " index build(s) left running on the server by a pgbackfill process that is gone");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (count(c, "SELECT count(*) " + orphans) > 0) {
            if (System.nanoTime() > deadline) {
                progress.info("an ended index build is still on the server after 30 s; building anyway");
                return;
            }
            Thread.sleep(200);
        }
    }

    private boolean online() { return config.mode() == BackfillConfig.Mode.ONLINE; }

    /** How many indexes are built at once. */
    static int indexBuildParallelism(int workers) { return Math.min(Math.max(2, workers), IndexBuilder.ALL.size()); }

    private static boolean foreignKeyValidated(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT convalidated FROM pg_constraint WHERE conname = '" + TargetSchema.FOREIGN_KEY_NAME
                 + "' AND conrelid = 'chat_message'::regclass")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Catch-up passes of an online run at most; it stops earlier once a pass finds this few changed chats or fewer. */
    static final int MAX_CATCH_UP_PASSES = 20;
    /** How many times a reconciliation may send ranges back to be loaded before the run gives up. */
    static final int MAX_RECONCILIATIONS = 2;
    static final long CAUGHT_UP_CHATS = 100;

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

    /** How long a claim on a range lasts unless renewed (renewed every quarter of it). */
    static final int LEASE_SECONDS = 60;
    /** How often the load records how far its readers have read (for status on other machines). */
    static final int PROGRESS_SECONDS = 2;
    /** Consecutive load rounds that may fail (a writer's connection lost, the server restarting) before the run gives up. */
    static final int MAX_LOAD_ROUNDS = 6;

    /**
     * Loads until every range is loaded, by this process or others: rounds of {@link LoadPhase}
     * claim ranges (a range claimed again first loses the rows its earlier attempts committed); a
     * failed round gives its ranges back and is retried with backoff.
     */
    private LoadPhase.Result load(Database db, long runId, long now, SchemaCheck.Facts facts, long planned) throws Exception {
        long chats = 0, bytes = 0, rows = 0;
        int failedRounds = 0;
        Exception lastFailure = null;
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgbackfill-lease");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(() -> {
            try (Connection c = db.connection()) {
                control.renewLeases(c, runId, owner, LEASE_SECONDS);
            } catch (SQLException e) {
                log.warn("could not renew this process's range leases: {}", e.getMessage());
            }
        }, LEASE_SECONDS / 4, LEASE_SECONDS / 4, TimeUnit.SECONDS);
        // how far each range being read has got, recorded every few seconds: status on any machine shows a rate and an ETA
        // from the first seconds of the load, not only once a range is loaded
        // (its own thread: a record waiting on a writer's commit or on the pool never delays the lease renewals)
        Map<ControlTables.Claim, ReadingRange> reading = new java.util.concurrent.ConcurrentHashMap<>();
        ScheduledExecutorService recorder = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgbackfill-load-progress");
            t.setDaemon(true);
            return t;
        });
        recorder.scheduleWithFixedDelay(() -> {
            List<ControlTables.ReadProgress> sofar = new java.util.ArrayList<>();
            reading.forEach((claim, r) -> sofar.add(r.progress(claim)));
            if (sofar.isEmpty()) return;
            try (Connection c = db.connection()) {
                control.recordProgress(c, runId, owner, sofar);
                for (ControlTables.ReadProgress p : sofar) if (p.done()) reading.remove(p.claim());   // its last record is in
            } catch (SQLException | RuntimeException e) {   // a task that throws is never run again: keep it running
                log.debug("could not record the load's progress (status shows it later): {}", e.getMessage());
            }
        }, PROGRESS_SECONDS, PROGRESS_SECONDS, TimeUnit.SECONDS);
        try {
            while (true) {
                stopIfAsked(Phase.LOAD);
                try (Connection c = db.connection()) {
                    // between rounds this process holds no claim: what a failed round left leased under its name (its release
                    // may not have reached a server that was down) is given back, or the heartbeat would renew it for ever
                    control.releaseAll(c, runId, owner);
                    Map<String, Long> states = control.rangeStates(c, runId);
                    if (states.getOrDefault("pending", 0L) + states.getOrDefault("loading", 0L) == 0) break;
                } catch (SQLException e) {
                    if (++failedRounds > MAX_LOAD_ROUNDS) throw e;
                    lastFailure = e;
                    backoff(failedRounds, e);
                    continue;
                }
                LoadPhase.Coordinator coordinator = coordinator(db, runId, owner, reading);
                try {
                    LoadPhase.Result r = new LoadPhase(db, config, control, runId, now, facts, metrics, throttle)
                        .run(coordinator, (b, units, written) -> progress.loadProgress(b, planned <= 0 ? 0 : Math.min(0.99, (double) units / planned), written));
                    chats += r.chats();
                    bytes += r.documentBytes();
                    rows += r.rowsWritten();
                    if (r.rowsWritten() > 0 || r.chats() > 0) failedRounds = 0;
                } catch (LoadPhase.LoadException e) {
                    throw e;   // one range failed again and again: its message names it
                } catch (Exception e) {
                    stopIfAsked(Phase.LOAD);
                    if (++failedRounds > MAX_LOAD_ROUNDS) throw e;
                    lastFailure = e;
                    metrics.retried("load round");
                    backoff(failedRounds, e);
                    try (Connection c = db.connection()) {
                        control.releaseAll(c, runId, owner);
                    } catch (SQLException ignored) {
                        // the leases expire by themselves
                    }
                    continue;
                } finally {
                    reading.clear();
                }
                stopIfAsked(Phase.LOAD);
                awaitRanges(db, runId, "loaded", "pending");   // others' ranges; returns early if one becomes claimable
            }
        } finally {
            recorder.shutdownNow();
            heartbeat.shutdownNow();
            if (stopping()) {
                try (Connection c = db.connection()) {
                    control.releaseAll(c, runId, owner);
                } catch (SQLException ignored) {
                    // the leases expire by themselves
                }
            }
        }
        if (lastFailure != null) log.info("load recovered after: {}", lastFailure.getMessage());
        return new LoadPhase.Result(chats, bytes, rows);
    }

    /** What the build says of rows set aside for a value too long for an index entry (one row, or several). */
    static String tooLong(long rows) {
        return rows == 1 ? "1 row had a value too long for an index entry; recorded it as a rejection"
            : rows + " rows had values too long for an index entry; recorded them as rejections";
    }

    /** A range one of this process's readers reads: how far it has got, since when, and when it ended. */
    private static final class ReadingRange {
        private final java.util.function.LongSupplier units, bytes;
        private final long startNanos;
        private volatile long endNanos;

        ReadingRange(java.util.function.LongSupplier units, java.util.function.LongSupplier bytes, long startNanos) {
            this.units = units;
            this.bytes = bytes;
            this.startNanos = startNanos;
        }

        void end() { endNanos = System.nanoTime(); }

        ControlTables.ReadProgress progress(ControlTables.Claim claim) {
            long end = endNanos;
            boolean done = end != 0;
            return new ControlTables.ReadProgress(claim, units.getAsLong(), bytes.getAsLong(),
                ((done ? end : System.nanoTime()) - startNanos) / 1e9, done);
        }
    }

    private LoadPhase.Coordinator coordinator(Database db, long runId, String owner,
                                              Map<ControlTables.Claim, ReadingRange> reading) {
        return new LoadPhase.Coordinator() {
            @Override public void reading(ControlTables.Claim claim, java.util.function.LongSupplier units, java.util.function.LongSupplier bytes) {
                reading.put(claim, new ReadingRange(units, bytes, System.nanoTime()));
            }

            // the last record is the heartbeat's (a reader must not wait here: a writer's fence may hold the range's row)
            @Override public void doneReading(ControlTables.Claim claim) {
                ReadingRange r = reading.get(claim);
                if (r != null) r.end();
            }

            @Override public ControlTables.Claim claim() throws SQLException {
                try (Connection c = db.connection()) {
                    return control.claimRange(c, runId, owner, LEASE_SECONDS);
                }
            }

            @Override public void loaded(ControlTables.Claim claim, long chats, long rows, long bytes) throws SQLException {
                try (Connection c = db.connection()) {
                    if (!control.rangeLoaded(c, runId, claim, owner, chats, rows, bytes)) {
                        log.warn("{} was loaded, but its lease had passed to another process; that one's load counts", claim.range());
                    }
                }
            }

            @Override public int failed(ControlTables.Claim claim, Exception cause) throws SQLException {
                try (Connection c = db.connection()) {
                    return control.releaseRange(c, runId, claim, owner, String.valueOf(cause));
                }
            }

            @Override public boolean stopping() { return Backfill.this.stopping(); }
        };
    }

    /** Waits while some range is not yet in {@code state} (another process holds it); returns early when one is in {@code unless}. */
    private void awaitRanges(Database db, long runId, String state, String unless) throws Exception {
        while (true) {
            stopIfAsked(Phase.LOAD);
            try (Connection c = db.connection();
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE state NOT IN ('" + state + "', 'merged')), "
                     + "count(*) FILTER (WHERE state = '" + unless + "' OR (state = 'loading' AND " + ControlTables.LEASE_LAPSED + ")) FROM "
                     + control.schema() + ".range WHERE run_id = " + runId)) {
                rs.next();
                if (rs.getLong(1) == 0 || (unless != null && rs.getLong(2) > 0)) return;
            }
            Thread.sleep(500);
        }
    }

    private boolean reached(Connection c, long runId, Phase phase) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT phase, finished_at IS NOT NULL FROM " + control.schema() + ".run WHERE run_id = " + runId)) {
            if (!rs.next()) return false;
            if (rs.getBoolean(2)) return true;
            String p = rs.getString(1);
            return Phase.of(p).ordinal() >= phase.ordinal();
        }
    }

    /** The server's WAL insert position in bytes (WAL written = its difference), or -1 where it cannot be read (a standby). */
    static long walBytes(Connection c) {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    private long estimatedBytes(Database db, long runId) throws SQLException {
        try (Connection c = db.connection()) {
            return count(c, "SELECT coalesce(sum(estimated_bytes), 0) FROM " + control.schema() + ".range WHERE run_id = " + runId);
        }
    }

    private void backoff(int round, Exception e) throws InterruptedException {
        long millis = Math.min(15_000L, 500L << Math.min(round, 5));
        progress.info("load interrupted (" + rootMessage(e) + "); retrying in " + millis / 1000.0 + " s (" + round + " of "
            + MAX_LOAD_ROUNDS + ")");
        Thread.sleep(millis);
    }

    /**
     * This process, as named in the range leases and as every one of its connections' application_name:
     * a lease whose holder has no session left is free at once, without waiting for it to expire.
     */
    private static String owner() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "host";
        }
        String tail = ":" + ProcessHandle.current().pid() + ":" + Long.toHexString(new java.util.Random().nextLong() & 0xffffff);
        String head = "pgbackfill:" + host;
        return head.substring(0, Math.min(head.length(), 63 - tail.length())) + tail;   // application_name holds 63 bytes
    }

    private final String owner = owner();

    /**
     * Rows with indexed values long enough to need judging one by one, as this process's
     * reconciliation counted them; -1 when it did not count (the merge was done by another process,
     * or before a resume): the build then looks for them itself.
     */
    private long longIndexRows = -1;

    /** Asks the run to stop as soon as it can, leaving a state the next run resumes. */
    public void stop() { stopRequested = true; }

    private volatile boolean stopRequested;

    boolean stopping() { return stopRequested; }

    private void stopIfAsked(Phase phase) throws BackfillException {
        if (stopRequested) {
            throw new BackfillException(Kind.STOPPED, "stopped during " + phase.label() + " as asked; nothing is lost: run the same "
                + "command again to resume where it stopped");
        }
    }

    private void finishPhaseTiming(RunReport report, Phase phase, long startNanos, long rows, long bytes) {
        finishPhaseTiming(report, new PhaseReport(phase, (System.nanoTime() - startNanos) / 1e9, rows, bytes));
    }

    private void finishPhaseTiming(RunReport report, PhaseReport p) {
        Phase phase = p.phase();
        report.addPhase(p);
        progress.phaseFinished(p);
        log.debug("phase {} done in {} s", phase.label(), String.format("%.2f", p.seconds()));
    }

    /** Records a phase every process passes through (the load) as completed, unless a later one already is. */
    private void finishPhase(RunReport report, Phase phase, long startNanos, long rows, long bytes, Database db, long runId) throws SQLException {
        try (Connection c = db.connection()) {
            if (!reached(c, runId, phase)) control.phase(c, runId, phase);
        }
        finishPhaseTiming(report, phase, startNanos, rows, bytes);
    }

    /** The check's connection, once the server answers and is known to give each connection a session of its own. */
    private Connection connect(Database db) throws BackfillException {
        try {
            try (Connection c = awaitServer(db, false)) {
                serverStart = serverStart(c);
                SessionCheck.Pooling pooling = SessionCheck.detect(db::probe);
                if (pooling != SessionCheck.Pooling.NONE) throw new BackfillException(Kind.POOLER, SessionCheck.refusal(pooling, db.url()));
                requireServerAccepts(c, "maintenance_work_mem", config.maintenanceWorkMem());
                requireServerAccepts(c, "lock_timeout", config.lockTimeout());
                requireHoldsCanSee(c);
                ConnectionBudget budget = ConnectionBudget.read(c, config.workers(), config.writers());
                if (!budget.fits()) throw new BackfillException(Kind.BAD_SETTING, budget.refusal(config.workers()));
            }
            return db.connection();
        } catch (SQLException e) {
            throw classify(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException(Kind.STOPPED, "interrupted while waiting for the server; run the same command again");
        }
    }

    /**
     * The replication-lag and active-session holds read other sessions' rows of pg_stat_replication
     * and pg_stat_activity, which PostgreSQL shows as NULL to a role without pg_read_all_stats: such a
     * hold would never hold. Refused instead, with the grant that fixes it.
     */
    private void requireHoldsCanSee(Connection c) throws SQLException, BackfillException {
        if (config.maxReplicationLagSeconds() <= 0 && config.maxActiveSessions() <= 0) return;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user, (SELECT rolsuper FROM pg_roles "
                + "WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), "
                // sessions on this database whose state is hidden from us: another role's, seen without pg_read_all_stats
                + "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usesysid IS NOT NULL "
                + " AND usename <> current_user AND state IS NULL)")) {
            rs.next();
            if (rs.getBoolean(2)) return;
            String user = rs.getString(1);
            List<String> holds = new java.util.ArrayList<>();
            // walsenders' lag columns are shown only with the privilege
            if (config.maxReplicationLagSeconds() > 0) holds.add("the replication-lag hold (pg_stat_replication)");
            // the application's sessions are visible when it connects as this same user (Open WebUI's DATABASE_URL)
            if (config.maxActiveSessions() > 0 && rs.getLong(3) > 0) {
                holds.add("the active-sessions hold (pg_stat_activity: " + rs.getLong(3) + " sessions of other users are hidden now)");
            }
            if (holds.isEmpty()) return;
            throw new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, String.join(" and ", holds) + " must see other users' sessions, "
                + "which PostgreSQL shows database user '" + user + "' only with pg_read_all_stats: the hold would never hold. "
                + "GRANT pg_read_all_stats TO " + user + " (or pg_monitor), or run without that hold. Nothing was written");
        }
    }

    /** How long a server that says it is starting up, recovering or shutting down (a restart, a failover) is waited for. */
    static final int SERVER_WAIT_SECONDS = 120;

    /**
     * Opens the first connection (the caller closes it). A server that answers 57P03 (starting up, in recovery, shutting down:
     * a restart or a failover under way) is waited for, up to {@link #SERVER_WAIT_SECONDS}, saying
     * so; once it has said that, a refused connection (it is down between the two) is waited for
     * too. A server that refuses from the start is reported at once (most likely a wrong address),
     * unless {@code wasUp}: the run was connected and lost it, so a refusal is the restart itself.
     */
    private Connection awaitServer(Database db, boolean wasUp) throws SQLException, InterruptedException, BackfillException {
        long deadline = wasUp ? System.nanoTime() + SERVER_WAIT_SECONDS * 1_000_000_000L : 0;
        while (true) {
            try {
                Connection c = db.probe();
                if (deadline != 0) progress.info("the server accepts connections again");
                return c;
            } catch (SQLException e) {
                boolean restarting = "57P03".equals(e.getSQLState());
                boolean down = e.getSQLState() != null && e.getSQLState().startsWith("08");
                if (!restarting && !(down && deadline != 0)) throw e;
                if (deadline == 0) {
                    deadline = System.nanoTime() + SERVER_WAIT_SECONDS * 1_000_000_000L;
                    progress.info("the server is not accepting connections yet (" + DatabaseFailure.rootMessage(e) + "); waiting up to "
                        + SERVER_WAIT_SECONDS + " s for it (a restart or a failover?)");
                }
                if (System.nanoTime() > deadline) throw e;
                stopIfAsked(Phase.CHECK);
                Thread.sleep(1000);
            }
        }
    }

    /** Only the server knows which values a setting takes: it is asked before anything is written (and hours are spent). */
    private static void requireServerAccepts(Connection c, String setting, String value) throws SQLException, BackfillException {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, true)")) {
            ps.setString(1, setting);
            ps.setString(2, value);
            ps.execute();
        } catch (SQLException e) {
            if (e.getSQLState() == null || !e.getSQLState().startsWith("22")) throw e;   // data exceptions: invalid value, out of range
            throw new BackfillException(Kind.BAD_SETTING, setting + " = '" + value + "' is refused by the server: "
                + DatabaseFailure.rootMessage(e) + ". Nothing was written; give a value it accepts");
        } finally {
            c.rollback();
        }
    }

    /** Maps a database error to the failure a person can act on. */
    private BackfillException classify(Throwable e) {
        return DatabaseFailure.classify(e, config.database().toString(), "Run pgbackfill as the owner of Open WebUI's tables",
            "the backfill failed", "Nothing was stamped; fix the cause and run pgbackfill again");
    }

    static String rootMessage(Throwable e) { return DatabaseFailure.rootMessage(e); }


    private static void execute(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) st.execute(s);
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
