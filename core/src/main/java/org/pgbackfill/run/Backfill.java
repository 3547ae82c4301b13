package org.pgbackfill.run;

import org.pgbackfill.db.Database;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.plan.KeyRange;
import org.pgbackfill.plan.RangePlanner;
import org.pgbackfill.run.BackfillException.Kind;
import org.pgbackfill.schema.AlembicStamp;
import org.pgbackfill.schema.IndexBuilder;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.schema.StagingMerge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The chat_message backfill, phase by phase: check, plan, load, merge, build, stamp. Each phase
 * is recorded in the control table when it completes; the stamp is the last thing written.
 *
 * <p>An unfinished earlier run (the process died) is picked up with the same fixed "now", its
 * partial work discarded and redone, so the result is the same as an uninterrupted run's.
 */
public final class Backfill {
    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    /** No transaction of the merge handles more than about this much document data. */
    static final long MAX_RANGE_BYTES = 512L << 20;

    private final BackfillConfig config;
    private final ProgressListener progress;
    private final ControlTables control;
    private final RunMetrics metrics;

    public Backfill(BackfillConfig config) {
        this.config = config;
        this.metrics = new RunMetrics(config.meterRegistry());
        ProgressListener told = config.progress();
        this.progress = new ProgressListener() {   // the meters follow the phases too
            @Override public void phaseStarted(Phase phase) { metrics.phaseStarted(phase); told.phaseStarted(phase); }
            @Override public void phaseFinished(PhaseReport report) { metrics.phaseFinished(report); told.phaseFinished(report); }
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsStaged) { told.loadProgress(bytesRead, fractionDone, rowsStaged); }
            @Override public void info(String message) { told.info(message); }
        };
        this.control = new ControlTables(config.schema());
    }

    public RunReport run() throws BackfillException {
        RunReport report = new RunReport();
        report.workers(config.workers());
        int poolSize = config.workers() + config.writers() + 8;
        try (Database db = new Database(config.database(), poolSize, "pgbackfill", config.meterRegistry())) {
            return run(db, report);
        } catch (BackfillException e) {
            throw e;
        } catch (SQLException e) {
            throw classify(e);
        } catch (Exception e) {
            log.error("run failed", e);
            throw new BackfillException(Kind.RUN_FAILED, "the backfill failed: " + rootMessage(e)
                + ". Nothing was stamped; fix the cause and run pgbackfill again (the run starts over with the same 'now')", e);
        }
    }

    private RunReport run(Database db, RunReport report) throws Exception {
        // check
        long t0 = System.nanoTime();
        progress.phaseStarted(Phase.CHECK);
        long runId;
        long now;
        SchemaCheck.Facts facts;
        try (Connection c = connect(db)) {
            ControlTables.OpenRun open = control.openRun(c);
            boolean ownTarget = open != null && open.createdTarget();
            facts = SchemaCheck.check(c, control, ownTarget);
            control.create(c);
            if (open != null) {
                runId = open.runId();
                now = open.nowEpoch();
                if (config.nowEpoch() != null && config.nowEpoch() != now) {
                    progress.info("resuming run " + runId + " with its original now=" + now + " (ignoring --now-epoch "
                        + config.nowEpoch() + ")");
                }
                progress.info("an unfinished run " + runId + " (phase " + open.phase() + ") was found; redoing its work");
                if (ownTarget) execute(c, "DROP TABLE IF EXISTS chat_message");
                control.resetRun(c, runId);
            } else {
                now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
                runId = control.startRun(c, now, config.workers());
            }
        }
        report.nowEpoch(now);
        finishPhase(report, Phase.CHECK, t0, 0, 0, db, runId);
        log.info("run {} on {} (PostgreSQL {}), now={}, {} workers, {} writers", runId, config.database(),
            facts.serverVersion(), now, config.workers(), config.writers());

        // plan
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.PLAN);
        RangePlanner.Plan plan;
        try (Connection c = db.connection()) {
            plan = new RangePlanner(config.workers() * config.rangesPerWorker(), MAX_RANGE_BYTES).plan(c);
            control.saveRanges(c, runId, plan.ranges());
            LoadPhase.createStaging(c, control, plan.ranges(), facts.idCollation());
        }
        log.info("planned {} ranges over about {} chats and {} MB of stored documents", plan.ranges().size(),
            plan.estimatedChats(), plan.estimatedBytes() / 1_000_000);
        finishPhase(report, Phase.PLAN, t0, 0, 0, db, runId);

        // load
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.LOAD);
        long planned = plan.estimatedBytes();
        LoadPhase.Result load = new LoadPhase(db, config, control, runId, now, facts, metrics)
            .run(plan.ranges(), (bytes, units, rows) -> progress.loadProgress(bytes, planned <= 0 ? 0 : Math.min(0.99, (double) units / planned), rows));
        report.chatsRead(load.chats());
        report.documentBytes(load.documentBytes());
        report.rowsStaged(load.rowsStaged());
        finishPhase(report, Phase.LOAD, t0, load.rowsStaged(), load.documentBytes(), db, runId);

        // merge
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.MERGE);
        StagingMerge merge = new StagingMerge(control, facts.idCollation(), facts.toastCompression());
        long stagedBytes;
        try (Connection c = db.connection()) {
            stagedBytes = count(c, "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = '"
                + control.staging() + "'::regclass");
            c.setAutoCommit(false);
            merge.createTarget(c);
            control.createdTarget(c, runId);
            c.commit();
            c.setAutoCommit(true);
        }
        List<Integer> rangeIds = plan.ranges().stream().map(KeyRange::id).toList();
        long merged = merge.mergeAll(db::connection, rangeIds, Math.min(config.workers(), 4), runId);
        long duplicates;
        try (Connection c = db.connection()) {
            duplicates = merge.resolveCollisions(c, runId);
        }
        try (Connection c = db.connection()) {
            Map<String, Long> byReason = control.rejectionsByReason(c, runId);
            for (String reason : new String[] {"DUPLICATE_ID", "INDEX_ROW_TOO_LARGE"}) {
                metrics.rejected(reason, byReason.getOrDefault(reason, 0L));
            }
        }
        if (duplicates > 0) progress.info(duplicates + " rows shared an id with a row of another chat; kept upstream's winner, recorded the rest");
        finishPhase(report, Phase.MERGE, t0, merged, stagedBytes, db, runId);

        // build
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.BUILD);
        IndexBuilder builder = new IndexBuilder(config.maintenanceWorkMem(), config.lockTimeout());
        builder.buildIndexes(db::connection, Math.min(Math.max(2, config.workers()), org.pgbackfill.schema.TargetSchema.INDEXES.size()));
        long orphans;
        long indexBytes;
        try (Connection c = db.connection()) {
            orphans = builder.addForeignKey(c);
            indexBytes = count(c, "SELECT pg_indexes_size('chat_message')");
        }
        if (orphans > 0) progress.info(orphans + " rows belonged to chats deleted during the run and were removed");
        finishPhase(report, Phase.BUILD, t0, 0, indexBytes, db, runId);

        // stamp
        t0 = System.nanoTime();
        progress.phaseStarted(Phase.STAMP);
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            AlembicStamp.stamp(c);
            control.finish(c, runId);
            c.commit();
            c.setAutoCommit(true);
            execute(c, "DROP TABLE IF EXISTS " + control.staging(), "DROP TABLE IF EXISTS " + control.schema() + ".collision");
            report.rowsWritten(count(c, "SELECT count(*) FROM chat_message"));
            report.rejections(control.rejectionsByReason(c, runId));
        }
        finishPhase(report, Phase.STAMP, t0, 0, 0, db, runId);
        return report;
    }

    private void finishPhase(RunReport report, Phase phase, long startNanos, long rows, long bytes, Database db, long runId) throws SQLException {
        PhaseReport p = new PhaseReport(phase, (System.nanoTime() - startNanos) / 1e9, rows, bytes);
        report.addPhase(p);
        if (phase != Phase.STAMP) {
            try (Connection c = db.connection()) {
                control.phase(c, runId, phase);
            }
        }
        progress.phaseFinished(p);
        log.info("phase {} done in {} s", phase.label(), String.format("%.2f", p.seconds()));
    }

    private Connection connect(Database db) throws BackfillException {
        try {
            db.probe().close();
            return db.connection();
        } catch (SQLException e) {
            throw classify(e);
        }
    }

    /** Maps a database error to the failure a person can act on. */
    private BackfillException classify(SQLException e) {
        String state = findState(e);
        String where = config.database().toString();
        if ("28P01".equals(state) || "28000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "the server at " + where + " refused the credentials: "
                + rootMessage(e) + ". Check the user and password in DATABASE_URL", e);
        }
        if ("3D000".equals(state)) {
            return new BackfillException(Kind.CANNOT_CONNECT, "database not found at " + where + ": " + rootMessage(e)
                + ". Check the database name in DATABASE_URL", e);
        }
        if (state == null || state.startsWith("08")) {
            return new BackfillException(Kind.CANNOT_CONNECT, "cannot connect to " + where + ": " + rootMessage(e)
                + ". Check that the server is running and reachable from here, and the host and port in DATABASE_URL", e);
        }
        if ("42501".equals(state)) {
            return new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, "permission denied: " + rootMessage(e)
                + ". Run pgbackfill as the owner of Open WebUI's tables", e);
        }
        return new BackfillException(Kind.RUN_FAILED, "the backfill failed: " + rootMessage(e) + " (SQLSTATE " + state
            + "). Nothing was stamped; fix the cause and run pgbackfill again", e);
    }

    private static String findState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) return s.getSQLState();
        }
        return null;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage();
        String outer = e.getMessage();
        if (t == e || outer == null) return m == null ? t.getClass().getSimpleName() : m;
        return outer.contains(String.valueOf(m)) ? outer : outer + " (" + m + ")";
    }

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
