package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.job.RangeDifference;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.RunLock;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/** load (every process), then settle (once, under the run lock). */
final class LoadAndSettle extends Step {
    /** How many times a reconciliation may send ranges back to be loaded before the run gives up. */
    static final int MAX_RECONCILIATIONS = 2;

    LoadAndSettle(PhaseContext runner) { super(runner); }

    /**
     * load (every process), then settle (once): ranges are claimed by every process until all are
     * loaded; the job's reconciliation then compares what each range recorded with what the target
     * holds, and a range that differs is loaded again, at most {@link #MAX_RECONCILIATIONS} times.
     */
    void loadAndSettle(JobRun run, RunReport report) throws Exception {
        LoadRounds rounds = new LoadRounds(job, run, owner);
        for (int reconciliations = 0; ; ) {
            Clock clock = clock(Phase.LOAD);
            LoadPhase.Result load = rounds.load(estimatedBytes(run));
            // added to the report, not kept here: a reconnect runs these phases again, and the report spans every pass
            report.chatsRead(report.chatsRead() + load.chats());
            report.documentBytes(report.documentBytes() + load.documentBytes());
            report.rowsLoaded(report.rowsLoaded() + load.rowsWritten());
            try (Connection c = run.db().connection()) {
                if (!reached(c, run.runId(), Phase.LOAD)) control.phase(c, run.runId(), Phase.LOAD);
            }
            clock.finish(report, load.rowsWritten(), load.documentBytes());

            clock = clock(Phase.SETTLE);
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

    long estimatedBytes(JobRun run) throws SQLException {
        try (Connection c = run.db().connection()) {
            return count(c, "SELECT coalesce(sum(estimated_bytes), 0) FROM " + control.schema() + ".range WHERE run_id = " + run.runId());
        }
    }

}
