package org.pgbackfill.job;

import org.pgbackfill.BackfillException;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.db.Database;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.state.ControlTables;

/**
 * What a job's steps are given by the engine: the run (its id and fixed "now"), the database
 * and its facts, the settings, and the run's meters, throttle, progress and stop.
 *
 * @param online  the run is online: the application keeps writing while it runs
 * @param offline the run is offline: nothing writes to the source meanwhile (finish is neither)
 */
public record JobRun(Database db, ControlTables control, long runId, long nowEpoch, SchemaCheck.Facts facts,
                     LoadPhase.Settings load, String maintenanceWorkMem, String lockTimeout, boolean online, boolean offline,
                     RunMetrics metrics, Throttle throttle, ProgressListener progress, Stop stop) {
    /** Throws the run's "stopped as asked" failure, naming the phase, if a stop was asked for. */
    public interface Stop {
        void check(Phase phase) throws BackfillException;
    }
}
