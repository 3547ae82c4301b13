package org.pgbackfill.engine;

import org.pgbackfill.db.Database;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.RunLock;

import java.sql.Connection;

/** stamp (once, under the run lock). */
final class StampStep extends Step {

    StampStep(PhaseContext runner) { super(runner); }

    /** stamp (once, under the run lock): the job's last steps and the Alembic stamp, in the transaction that marks the run finished. */
    void stamp(JobRun run, RunReport report, long walAtStart) throws Exception {
        Clock clock = clock(Phase.STAMP);
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

}
