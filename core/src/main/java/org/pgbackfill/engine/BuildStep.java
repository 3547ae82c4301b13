package org.pgbackfill.engine;

import org.pgbackfill.job.JobRun;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.state.RunLock;

import java.sql.Connection;

/** build (once, under the run lock; a second process waits, then finds it done). */
final class BuildStep extends Step {

    BuildStep(PhaseContext runner) { super(runner); }

    void build(JobRun run, RunReport report) throws Exception {
        Clock clock = clock(Phase.BUILD);
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

}
