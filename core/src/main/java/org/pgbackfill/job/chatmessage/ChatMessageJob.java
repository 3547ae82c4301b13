package org.pgbackfill.job.chatmessage;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.NextStep;
import org.pgbackfill.job.DryRunRequest;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobEstimate;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.job.Capture;
import org.pgbackfill.job.RangeDifference;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.online.ChangeCapture;
import org.pgbackfill.schema.AlembicStamp;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.schema.TargetSchema;
import org.pgbackfill.schema.TargetTable;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Open WebUI's revision {@code 8452d01d26d7} ("Add chat_message table", from {@code 374d2f66af06}):
 * one row per message of every chat not a shared-link copy, into a new table loaded directly by
 * binary COPY, without indexes until the rows are in; then upstream's eight indexes and foreign key.
 */
public final class ChatMessageJob implements Job {
    private static final Logger log = LoggerFactory.getLogger(ChatMessageJob.class);
    /** Upstream reads every chat but the shared-link copies. */
    public static final Scope SCOPE = new Scope("user_id NOT LIKE 'shared-%'");

    /**
     * Rows with indexed values long enough to need judging one by one, as this process's
     * reconciliation counted them; -1 when it did not count (the settle was done by another process,
     * or before a resume): the build then looks for them itself.
     */
    private long longIndexRows = -1;

    @Override public String name() { return "chat_message"; }
    @Override public String fromRevision() { return TargetSchema.REVISION_BEFORE; }
    @Override public String toRevision() { return TargetSchema.REVISION_AFTER; }
    @Override public String target() { return "chat_message"; }
    @Override public Scope scope() { return SCOPE; }

    @Override
    public JobEstimate estimate(Connection c, DryRunRequest request) throws SQLException {
        return ChatMessageEstimate.estimate(c, request);
    }

    @Override
    public SchemaCheck.Facts check(Connection c, ControlTables control, boolean ownTargetExists) throws SQLException, BackfillException {
        return SchemaCheck.check(c, control, ownTargetExists);
    }

    @Override
    public void createTarget(Connection c) throws SQLException { TargetTable.create(c); }

    @Override
    public void dropTarget(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS chat_message");
        }
    }

    @Override
    public LoadPhase.Result loadRound(JobRun run, LoadPhase.Coordinator coordinator, LoadPhase.Progress progress) throws Exception {
        longIndexRows = -1;   // counted again by this round's reconciliation, if this process does it
        return new LoadPhase(run.db(), run.load(), run.control(), run.runId(), run.nowEpoch(), run.facts(), run.metrics(), run.throttle(),
            SCOPE).run(coordinator, progress);
    }

    @Override
    public List<RangeDifference> reconcile(Connection c, JobRun run) throws SQLException {
        Reconciliation.Result r = Reconciliation.check(c, run.control().schema(), run.runId(), run.facts().idCollation(), run.offline());
        longIndexRows = r.longIndexRows();
        return r.differences();
    }

    @Override
    public void build(Connection c, JobRun run) throws Exception {
        new IndexBuild(run, longIndexRows).build(c);
    }

    @Override
    public long builtBytes(Connection c) throws SQLException {
        return count(c, "SELECT pg_indexes_size('chat_message')");
    }

    @Override
    public Capture capture(ControlTables control) {
        ChangeCapture capture = new ChangeCapture(control.schema());
        return new Capture() {
            @Override public void install(Connection c) throws Exception { capture.install(c); }
            @Override public void remove(Connection c) throws Exception { capture.remove(c); }
            @Override public boolean installed(Connection c) throws Exception { return capture.installed(c); }
            @Override public long pending(Connection c) throws Exception { return capture.pending(c); }
        };
    }

    @Override
    public CatchUp.Pass catchUp(Connection c, JobRun run, BiConsumer<Long, Long> progress) throws Exception {
        return catchUp(run).pass(c, progress);
    }

    private static CatchUp catchUp(JobRun run) {
        return new CatchUp(run.control().schema(), run.runId(), run.nowEpoch(), run.load().inlineDocumentBytes(), run.facts().asciiJson(),
            run.facts().idCollation(), run.throttle(), SCOPE);
    }

    @Override
    public void stamp(Connection c, JobRun run) throws Exception {
        ChangeCapture capture = new ChangeCapture(run.control().schema());
        if (capture.installed(c)) {
            // no write to chat can slip between the last catch-up and the stamp (the application should be stopped)
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '" + run.lockTimeout() + "'");
                st.execute("LOCK TABLE chat IN SHARE MODE");
            }
            CatchUp.Pass last = catchUp(run).drainInTransaction(c);
            if (last.chats() > 0) log.info("final catch-up: {} changed chats, {} rows", last.chats(), last.rows());
            // no orphan can exist: the foreign key (ON DELETE CASCADE) has been in place and valid since the build
            if (!foreignKeyValidated(c)) {
                throw new BackfillException(Kind.RUN_FAILED, "chat_message_chat_id_fkey is missing or not validated, although the "
                    + "online run built it; nothing was stamped. If finishing again fails the same way, report it", NextStep.FINISH);
            }
            capture.remove(c);
        }
        AlembicStamp.stamp(c);
    }

    @Override
    public long resultRows(Connection c) throws SQLException {
        return count(c, "SELECT count(*) FROM chat_message");
    }

    private static boolean foreignKeyValidated(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT convalidated FROM pg_constraint WHERE conname = '" + TargetSchema.FOREIGN_KEY_NAME
                 + "' AND conrelid = 'chat_message'::regclass")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
