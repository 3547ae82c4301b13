package org.pgbackfill.path;

import java.time.Duration;
import java.util.Optional;

/**
 * How long a pgbackfill step of an upgrade path would take on the database (from {@code plan}'s
 * calibration, for instance). {@link #NONE} knows nothing: the steps then carry no estimate.
 */
@FunctionalInterface
public interface StepEstimator {
    StepEstimator NONE = job -> Optional.empty();

    /** The job's estimated duration on this database, or empty when there is none. */
    Optional<Duration> estimate(BackfillJob job);
}
