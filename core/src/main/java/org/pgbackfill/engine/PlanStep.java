package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.NextStep;
import org.pgbackfill.db.Database;
import org.pgbackfill.job.Capture;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.RunLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.time.Instant;

/** plan (once, under the run lock). */
final class PlanStep extends Step {
    private static final Logger log = LoggerFactory.getLogger(PlanStep.class);

    PlanStep(PhaseContext runner) { super(runner); }

    /**
     * plan (once, under the run lock): the unfinished run is found (or abandoned, when a restart is asked),
     * or a new one is started — the change capture first when online, then the ranges and the
     * job's target, in one transaction.
     */
    ControlTables.OpenRun plan(Database db, SchemaCheck.Facts facts) throws Exception {
        try (RunLock lock = RunLock.take(db, control)) {
            Connection c = lock.connection();
            control.create(c);
            Capture capture = job.capture(control);
            ControlTables.OpenRun open = control.openRun(c);
            if (open != null && config.restart() && config.mode() != BackfillConfig.Mode.FINISH) {
                progress.info("abandoning unfinished run " + open.runId() + " (phase " + open.phase() + ") and starting over, as asked");
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
                RangePlanner.Plan plan = new RangePlanner(config.workers() * config.rangesPerWorker(), Backfill.MAX_RANGE_BYTES, job.scope()).plan(c);
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
                    progress.info("resuming run " + run.runId() + " with its original now=" + run.nowEpoch() + " (ignoring the now given, "
                        + config.nowEpoch() + ")");
                }
                progress.info("resuming unfinished run " + run.runId() + " (last phase completed: " + run.phase()
                    + "); finished work is kept");
            }
            control.toastCompression(c, run.runId(), facts.toastCompression());
            progress.planned(control.bytesToLoad(c, run.runId()));
            return run;
        }
    }

    /** The mode asked for must fit the unfinished run, if any. */
    void requireMode(ControlTables.OpenRun open) throws BackfillException {
        BackfillConfig.Mode mode = config.mode();
        if (mode == BackfillConfig.Mode.FINISH && (open == null || !open.online())) {
            if (open == null) {
                throw new BackfillException(Kind.WRONG_MODE, "there is no unfinished online run to finish", NextStep.START_ONLINE,
                    NextStep.RUN_OFFLINE);
            }
            throw new BackfillException(Kind.WRONG_MODE, "the unfinished run " + open.runId() + " is an offline run: only an offline run "
                + "completes it", NextStep.RUN_OFFLINE, NextStep.RESTART);
        }
        if (open != null && open.online() && mode == BackfillConfig.Mode.OFFLINE) {
            throw new BackfillException(Kind.WRONG_MODE, "run " + open.runId() + " is an online run: an offline run does not complete it",
                NextStep.CATCH_UP, NextStep.FINISH, NextStep.RESTART);
        }
        if (open != null && !open.online() && mode == BackfillConfig.Mode.ONLINE) {
            throw new BackfillException(Kind.WRONG_MODE, "run " + open.runId() + " is an unfinished offline run: an online run does not "
                + "complete it", NextStep.RUN_OFFLINE, NextStep.RESTART_ONLINE);
        }
    }

}
