package org.pgbackfill.job.currentmessage;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.job.Capture;
import org.pgbackfill.job.DryRunRequest;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobEstimate;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.job.RangeDifference;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.online.ChangeCapture;
import org.pgbackfill.schema.AlembicStamp;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Open WebUI's revision {@code 9a1b2c3d4e5f} ("add current_message_id to chat", from
 * {@code 856c5b02fb54}), offline: the column is added (instant, NULL), every chat's value (SPEC.md 7,
 * {@link CurrentMessageRule}) is computed in parallel ranges into an UNLOGGED staging table in the
 * tool's schema, reconciled range by range, then merged into {@code chat} by bounded, set-based
 * updates that touch only chats whose value changes; the stamp comes last and drops the staging.
 * Where upstream would abort the whole migration, the chat keeps its value and is recorded in
 * {@code rejected_chat}.
 *
 * <p>Online ({@code run --online}, then {@code finish}): the plan installs a capture on {@code chat}
 * and {@code chat_message} ({@link #changeCapture}) before anything is read and records the column's
 * values as they are ({@link StagingTables#before()}); load, settle and merge run as offline; then the
 * catch-up ({@link CurrentMessageCatchUp}) decides every recorded chat again from its current document
 * and rows and writes the column directly. The catch-up runs only after the whole merge (the engine's
 * order: build, then catch-up, both under the run lock), so a value the merge wrote from a snapshot
 * older than a change is always decided again afterwards. The stamp locks both tables in SHARE mode,
 * drains what is left in its transaction and removes the capture.
 */
public final class CurrentMessageJob implements Job {
    private static final Logger log = LoggerFactory.getLogger(CurrentMessageJob.class);
    public static final String REVISION_BEFORE = "856c5b02fb54";
    public static final String REVISION_AFTER = "9a1b2c3d4e5f";
    /** Chats merged per transaction, by default. */
    static final int MERGE_BATCH_CHATS = 20_000;
    /** Chats decided per lookup of their rows (and written per transaction), by default. */
    static final int LOOKUP_BATCH_CHATS = 1_000;
    /** A lookup batch is also cut after this many bytes of documents (their facts are held until it is decided). */
    static final long LOOKUP_BATCH_BYTES = 16L << 20;

    private final int mergeBatchChats;
    private final int lookupBatchChats;
    /** What the check learnt (chat.id's collation, for the staging table and the merge's key order). */
    private SchemaCheck.Facts facts;
    /** What this process's build did, for tests and the log. */
    private volatile CurrentMessageMerge.Result lastMerge;

    public CurrentMessageJob() { this(MERGE_BATCH_CHATS, LOOKUP_BATCH_CHATS); }

    /** With other batch sizes (tests: many small transactions). */
    public CurrentMessageJob(int mergeBatchChats, int lookupBatchChats) {
        if (mergeBatchChats < 1 || lookupBatchChats < 1) throw new IllegalArgumentException("batch sizes must be positive");
        this.mergeBatchChats = mergeBatchChats;
        this.lookupBatchChats = lookupBatchChats;
    }

    @Override public String name() { return "current_message_id"; }
    @Override public String fromRevision() { return REVISION_BEFORE; }
    @Override public String toRevision() { return REVISION_AFTER; }
    @Override public String target() { return "chat.current_message_id"; }
    @Override public Scope scope() { return Scope.EVERY_CHAT; }
    @Override public String writes() { return "values"; }
    @Override public String resultDescription() { return "chats with a current_message_id"; }

    @Override
    public JobEstimate estimate(Connection c, DryRunRequest request) throws SQLException {
        return CurrentMessageEstimate.estimate(c, request);
    }

    /** The ranges this process's build computed again (their staging rows were gone), or -1 before a build. */
    public int rangesRecomputedByBuild() { return lastMerge == null ? -1 : lastMerge.recomputed(); }

    private static StagingTables tables(ControlTables control) { return new StagingTables(control.schema()); }

    @Override
    public SchemaCheck.Facts check(Connection c, ControlTables control, boolean ownTargetExists) throws SQLException, BackfillException {
        schema = control.schema();
        CurrentMessageCheck.check(c, control);
        facts = SchemaCheck.facts(c).withoutCompression();
        return facts;
    }

    @Override
    public void createTarget(Connection c) throws SQLException {
        if (changeCapture(schema()).installed(c)) {
            // online: the values before the tool writes any, the catch-up's first candidate (the plan installed the capture first)
            tables(new ControlTables(schema())).recordBefore(c, CurrentMessageCheck.columns(c, "chat").containsKey("current_message_id"));
        }
        // only when missing: ALTER TABLE needs ownership of chat even with IF NOT EXISTS, and the check asks none of a role
        // for whom an administrator added the column
        if (!CurrentMessageCheck.columns(c, "chat").containsKey("current_message_id")) {
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE chat ADD COLUMN current_message_id TEXT");
            }
        }
        tables(new ControlTables(schema())).create(c, collation(c));
    }

    /** The tool's schema is not passed to createTarget: the job remembers it from the check's control tables. */
    private String schema;

    private String schema() {
        if (schema == null) throw new IllegalStateException("createTarget before check");
        return schema;
    }

    private String collation(Connection c) throws SQLException {
        return (facts != null ? facts : SchemaCheck.facts(c)).idCollation();
    }

    @Override
    public void dropTarget(Connection c) throws SQLException {
        // the column stays: it is upstream's, and a restarted run computes every chat again from what it holds
        tables(new ControlTables(schema())).dropStaging(c);
    }

    private RangeWork work(JobRun run) {
        return new RangeWork(tables(run.control()), run.control().schema(), run.runId(), run.load().inlineDocumentBytes(),
            lookupBatchChats, LOOKUP_BATCH_BYTES, run.throttle());
    }

    @Override
    public LoadPhase.Result loadRound(JobRun run, LoadPhase.Coordinator coordinator, LoadPhase.Progress progress) throws Exception {
        return new CurrentMessageLoad(run, work(run)).run(coordinator, progress);
    }

    @Override
    public List<RangeDifference> reconcile(Connection c, JobRun run) throws SQLException {
        return CurrentMessageReconciliation.check(c, tables(run.control()), run.control().schema(), run.runId(), run.offline());
    }

    @Override
    public void build(Connection c, JobRun run) throws Exception {
        lastMerge = new CurrentMessageMerge(tables(run.control()), run, work(run), mergeBatchChats).build(c);
    }

    @Override
    public long builtBytes(Connection c) throws SQLException {
        if (schema == null) return 0;
        StagingTables t = tables(new ControlTables(schema));
        if (!t.stagingExists(c)) return 0;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_total_relation_size('" + t.staging().replace("'", "''") + "')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * What an online run captures: every chat inserted or deleted, every UPDATE of chat's {@code id} or
     * document (not of the column this job writes, so the merge and the catch-up do not record their
     * own writes), and every insert, update or delete of a chat_message row (the row's chat, old and
     * new; any update moves the row in physical order, which breaks ties between leaves).
     */
    public static ChangeCapture changeCapture(String schema) {
        return new ChangeCapture(schema, "current_message_change", "current_message_change_version", List.of(
            new ChangeCapture.Source("chat", "id", "id, chat", "pgbackfill_current_message_chat", "capture_current_message_chat"),
            new ChangeCapture.Source("chat_message", "chat_id", null, "pgbackfill_current_message_chat_message",
                "capture_current_message_chat_message")));
    }

    @Override
    public Capture capture(ControlTables control) {
        schema = control.schema();
        ChangeCapture capture = changeCapture(control.schema());
        return new Capture() {
            @Override public void install(Connection c) throws Exception { capture.install(c); }
            @Override public void remove(Connection c) throws Exception { capture.remove(c); }
            @Override public boolean installed(Connection c) throws Exception { return capture.installed(c); }
            @Override public long pending(Connection c) throws Exception { return capture.pending(c); }
        };
    }

    private static CurrentMessageCatchUp catchUp(JobRun run) {
        return new CurrentMessageCatchUp(tables(run.control()), run.control().schema(), run.runId(), run.load().inlineDocumentBytes(),
            run.throttle(), changeCapture(run.control().schema()));
    }

    @Override
    public CatchUp.Pass catchUp(Connection c, JobRun run, BiConsumer<Long, Long> progress) throws Exception {
        return catchUp(run).pass(c, progress);
    }

    @Override
    public void stamp(Connection c, JobRun run) throws Exception {
        StagingTables t = tables(run.control());
        ChangeCapture capture = changeCapture(run.control().schema());
        if (capture.installed(c)) {
            // no write to chat or chat_message can slip between the last catch-up and the stamp (Open WebUI should be stopped)
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '" + run.lockTimeout() + "'");
                st.execute("LOCK TABLE chat IN SHARE MODE");
                st.execute("LOCK TABLE chat_message IN SHARE MODE");
            }
            CatchUp.Pass last = catchUp(run).drainInTransaction(c);
            if (last.chats() > 0) log.info("final catch-up: {} changed chats, {} values written", last.chats(), last.rows());
            capture.remove(c);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + run.control().schema() + ".range r WHERE r.run_id = ? "
                + "AND NOT EXISTS (SELECT 1 FROM " + t.merges() + " m WHERE m.run_id = r.run_id AND m.range_id = r.range_id AND m.done)")) {
            ps.setLong(1, run.runId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    throw new BackfillException(Kind.RUN_FAILED, rs.getLong(1) + " ranges of run " + run.runId() + " are not merged into "
                        + "chat although the build is recorded as done; nothing was stamped. Report this with the log");
                }
            }
        }
        AlembicStamp.stamp(c, REVISION_BEFORE, REVISION_AFTER);
        t.dropStaging(c);
    }

    @Override
    public long resultRows(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM chat WHERE current_message_id IS NOT NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
