package org.pgbackfill.engine;

import org.pgbackfill.job.JobRun;
import org.pgbackfill.online.CatchUp;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.RunLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;

/** catch-up (online runs and finish; under the run lock): passes over the captured changes until few are left. */
final class CatchUpStep extends Step {
    private static final Logger log = LoggerFactory.getLogger(CatchUpStep.class);
    /** Catch-up passes of an online run at most; it stops earlier once a pass finds this few changed chats or fewer. */
    static final int MAX_CATCH_UP_PASSES = 20;
    static final long CAUGHT_UP_CHATS = 100;

    CatchUpStep(PhaseContext runner) { super(runner); }

    void catchUp(JobRun run, RunReport report) throws Exception {
        Clock clock = clock(Phase.CATCH_UP);
        long rows = 0;
        try (RunLock lock = RunLock.take(run.db(), control)) {
            Connection c = lock.connection();
            for (int pass = 1; pass <= MAX_CATCH_UP_PASSES; pass++) {
                run.stop().check(Phase.CATCH_UP);
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
                    + "serving until the cut-over");
            }
        }
        clock.finish(report, rows, 0);   // rows, as every phase's column says; the chats are in the log
    }

}
