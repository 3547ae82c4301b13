package org.pgbackfill.engine;

import org.pgbackfill.job.Job;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.state.ControlTables;

/** What every phase of one run shares, handed to each {@link Step}. */
record PhaseContext(BackfillConfig config, Job job, ControlTables control, ProgressListener progress, RunMetrics metrics, String owner) { }
