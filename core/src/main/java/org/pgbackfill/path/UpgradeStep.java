package org.pgbackfill.path;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One step of an {@link UpgradePath}: Alembic runs a stretch of revisions, or pgbackfill runs one. */
public sealed interface UpgradeStep {

    /**
     * Alembic upgrades to {@code target}, running {@code revisions} (in the order it runs them,
     * the last one being {@code target}).
     */
    record Alembic(Revision target, List<Revision> revisions) implements UpgradeStep {
        public Alembic {
            revisions = List.copyOf(revisions);
            if (revisions.isEmpty()) throw new IllegalArgumentException("an Alembic step runs at least one revision");
        }
    }

    /**
     * pgbackfill runs {@code job} in Alembic's place: the database is at {@code start}, and the
     * job stamps {@code stamp}.
     *
     * @param estimate how long it takes on this database, or null when not known
     */
    record Backfill(BackfillJob job, Revision start, Revision stamp, Duration estimate) implements UpgradeStep {
        public Optional<Duration> knownEstimate() {
            return Optional.ofNullable(estimate);
        }
    }
}
