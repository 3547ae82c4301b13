package org.pgbackfill.path;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An operator's whole upgrade from the database's Alembic revision to an Open WebUI release:
 * the stretches of revisions Alembic runs and, between them, the revisions pgbackfill runs in
 * Alembic's place ({@link BackfillJob}), in the order they must happen.
 */
public final class UpgradePath {
    /** Where the database stands with respect to the target. */
    public enum Status {
        /** It needs the steps. */
        UPGRADE,
        /** It is at the target release's last revision: nothing to do. */
        AT_TARGET,
        /** It is already past the target release: nothing to do (a downgrade is not planned). */
        PAST_TARGET
    }

    private final Revision from;
    private final Release target;
    private final Revision targetRevision;
    private final Status status;
    private final List<UpgradeStep> steps;

    private UpgradePath(Revision from, Release target, Revision targetRevision, Status status, List<UpgradeStep> steps) {
        this.from = from;
        this.target = target;
        this.targetRevision = targetRevision;
        this.status = status;
        this.steps = List.copyOf(steps);
    }

    /**
     * Plans the upgrade from {@code fromRevision} to {@code targetRelease} (null: the newest release
     * the graph knows).
     *
     * @throws PathException when the revision or the release is not known, or the revision is not
     *                       on the way to the release
     */
    public static UpgradePath plan(RevisionGraph graph, String fromRevision, String targetRelease, StepEstimator estimator) {
        Release target = targetRelease == null ? graph.newestRelease() : graph.release(targetRelease).orElseThrow(() -> unknownRelease(graph, targetRelease));
        Revision from = graph.revision(fromRevision == null ? null : fromRevision.trim()).orElseThrow(() -> unknownRevision(graph, fromRevision));
        Revision to = graph.revision(target.headRevision()).orElseThrow();
        Set<String> done = graph.ancestors(from.id());
        Set<String> wanted = graph.ancestors(to.id());
        if (from.equals(to)) return new UpgradePath(from, target, to, Status.AT_TARGET, List.of());
        if (done.contains(to.id())) return new UpgradePath(from, target, to, Status.PAST_TARGET, List.of());
        if (!wanted.contains(from.id())) {
            throw new PathException(PathException.Reason.NOT_ON_THE_WAY, "revision " + from.id() + " is not on the way to Open WebUI "
                + target.version() + " (revision " + to.id() + "): it is on another branch of the revision graph, and no plan leads from it");
        }
        Set<String> remaining = new LinkedHashSet<>();
        for (Revision r : graph.inOrder(wanted)) if (!done.contains(r.id())) remaining.add(r.id());

        List<UpgradeStep> steps = new ArrayList<>();
        List<BackfillJob> jobs = new ArrayList<>(Arrays.asList(BackfillJob.values()));
        jobs.removeIf(j -> graph.revision(j.stampRevision()).isEmpty());
        jobs.sort(Comparator.comparingInt(j -> graph.revisions().indexOf(graph.revision(j.stampRevision()).orElseThrow())));
        for (BackfillJob job : jobs) {
            if (!remaining.contains(job.stampRevision())) continue;
            Revision stamp = graph.revision(job.stampRevision()).orElseThrow();
            if (!stamp.downRevisions().equals(List.of(job.startRevision()))) {
                throw new IllegalStateException("the revision graph has " + stamp.id() + " revising " + stamp.downRevisions()
                    + ", but pgbackfill's " + job.key() + " job starts from " + job.startRevision());
            }
            Revision start = graph.revision(job.startRevision()).orElseThrow();
            Set<String> before = new LinkedHashSet<>(remaining);
            before.retainAll(graph.ancestors(start.id()));
            if (!before.isEmpty()) {
                steps.add(new UpgradeStep.Alembic(start, graph.inOrder(before)));
                remaining.removeAll(before);
            }
            steps.add(new UpgradeStep.Backfill(job, start, stamp, estimator.estimate(job).orElse(null)));
            remaining.remove(stamp.id());
        }
        if (!remaining.isEmpty()) steps.add(new UpgradeStep.Alembic(to, graph.inOrder(remaining)));
        return new UpgradePath(from, target, to, Status.UPGRADE, steps);
    }

    /** The revision the database is at. */
    public Revision from() {
        return from;
    }

    public Release target() {
        return target;
    }

    /** The target release's last revision. */
    public Revision targetRevision() {
        return targetRevision;
    }

    public Status status() {
        return status;
    }

    /** The steps, in order; empty unless {@link #status()} is {@link Status#UPGRADE}. */
    public List<UpgradeStep> steps() {
        return steps;
    }

    private static PathException unknownRelease(RevisionGraph graph, String release) {
        return new PathException(PathException.Reason.UNKNOWN_RELEASE, "Open WebUI release '" + release + "' is not one pgbackfill knows: "
            + "it knows upstream's releases " + graph.releases().get(0).version() + " to " + graph.newestRelease().version()
            + " (the newest). For a newer release, use a pgbackfill that knows it.");
    }

    private static PathException unknownRevision(RevisionGraph graph, String revision) {
        Release first = graph.releases().get(0), newest = graph.newestRelease();
        return new PathException(PathException.Reason.UNKNOWN_REVISION, "Alembic revision '" + revision + "' is not one pgbackfill knows. "
            + "It knows upstream Open WebUI's " + graph.revisions().size() + " revisions, from " + graph.root().id() + " (release "
            + first.version() + ") to " + graph.head().id() + " (release " + newest.version() + "). "
            + "A revision it does not know is a newer Open WebUI's (use a pgbackfill that knows that release), "
            + "a fork's or a plugin's own migration (plan from the upstream revision it builds on: pgbackfill runs only upstream's "
            + BackfillJob.CHAT_MESSAGE.stampRevision() + " and " + BackfillJob.CURRENT_MESSAGE_ID.stampRevision()
            + " and leaves every other revision to Alembic), or not Open WebUI's database at all.");
    }
}
