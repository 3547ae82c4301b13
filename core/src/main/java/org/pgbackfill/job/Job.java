package org.pgbackfill.job;

import org.pgbackfill.BackfillException;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One backfill the engine can run: an Alembic revision done in parallel ranges instead of one
 * transaction. The engine (Backfill) owns the phases, the control
 * tables, the leases, the run lock, the reconnects and the report; a job says, for each phase,
 * what is particular to it:
 *
 * <ul>
 *   <li><b>check</b>: the revision it starts from and what else must hold ({@link #check});</li>
 *   <li><b>plan</b>: which chats it reads ({@link #scope}), where it writes ({@link #createTarget}), and, for a dry run, what a run
 *       would take ({@link #estimate});</li>
 *   <li><b>load</b>: what it makes of each range's documents and how the rows reach the target ({@link #loadRound});</li>
 *   <li><b>settle</b>: what the target holds per range, against what the ranges recorded ({@link #reconcile});</li>
 *   <li><b>build</b>: what comes after the rows are in, once (indexes and constraints, or a merge) ({@link #build});</li>
 *   <li><b>catch-up</b>, online: the changes captured while it ran ({@link #capture}), recomputed ({@link #catchUp});</li>
 *   <li><b>stamp</b>: the last checks, then the Alembic stamp, in the engine's transaction ({@link #stamp}).</li>
 * </ul>
 *
 * <p>A job instance serves one run in one process: it may remember what one phase learnt for a
 * later one.
 */
public interface Job {
    /** Its name, as the command line and the report know it (e.g. {@code chat_message}). */
    String name();

    /** The Alembic revision a database must be at for this job. */
    String fromRevision();

    /** The revision it stamps. */
    String toRevision();

    /** The table the job writes, as the report counts its rows and messages name it. */
    String target();

    /**
     * What the job writes, as the progress line and the report count it: {@code rows} (one per message,
     * the first job) or {@code values} (one per chat whose column changes).
     */
    default String writes() { return "rows"; }

    /** What {@link #resultRows} counts, as the report says it: "rows in chat_message". */
    default String resultDescription() { return "rows in " + target(); }

    /** Which chats it reads. */
    Scope scope();

    /**
     * The database is where this job starts (or holds this job's own unfinished work, when
     * {@code ownTargetExists}), and the user may do everything that follows; otherwise a refusal
     * that says what to do.
     */
    SchemaCheck.Facts check(Connection c, ControlTables control, boolean ownTargetExists) throws SQLException, BackfillException;

    /**
     * {@code plan}, a dry run: a timed sample read as the load reads it, and what a run would take,
     * in the caller's READ ONLY transaction on {@code c}. Writes nothing.
     */
    JobEstimate estimate(Connection c, DryRunRequest request) throws SQLException;

    /** Creates where the job writes, in the plan's transaction. */
    void createTarget(Connection c) throws SQLException;

    /** Removes what {@link #createTarget} made (a restart from scratch). */
    void dropTarget(Connection c) throws SQLException;

    /** One load round of this process: claims ranges from {@code coordinator} until none is free. */
    LoadPhase.Result loadRound(JobRun run, LoadPhase.Coordinator coordinator, LoadPhase.Progress progress) throws Exception;

    /** The ranges whose rows in the target (or, offline, whose chats) are not what they recorded. */
    List<RangeDifference> reconcile(Connection c, JobRun run) throws SQLException;

    /** What comes after the load, once, on the run lock's connection {@code c}. */
    void build(Connection c, JobRun run) throws Exception;

    /** What the build made, in bytes, for the report (also when another process built it). */
    long builtBytes(Connection c) throws SQLException;

    /** Online runs: what records the application's changes, in the tool's schema. */
    Capture capture(ControlTables control);

    /** Online runs: one catch-up pass over the changes pending now, in small transactions; told (done, pending) as it goes. */
    CatchUp.Pass catchUp(Connection c, JobRun run, BiConsumer<Long, Long> progress) throws Exception;

    /**
     * In the engine's stamp transaction, on the run lock's connection: an online run's last
     * catch-up under a lock on the source, the last checks, and the Alembic stamp.
     */
    void stamp(Connection c, JobRun run) throws Exception;

    /** The rows the target holds, for the report. */
    long resultRows(Connection c) throws SQLException;
}
