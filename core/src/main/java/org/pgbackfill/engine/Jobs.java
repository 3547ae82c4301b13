package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.NextStep;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.chatmessage.ChatMessageJob;
import org.pgbackfill.job.currentmessage.CurrentMessageJob;
import org.pgbackfill.path.BackfillJob;
import org.pgbackfill.path.Revision;
import org.pgbackfill.path.RevisionGraph;
import org.pgbackfill.schema.SchemaCheck;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The jobs this engine knows, each Open WebUI revision it runs instead of Alembic, and which one a
 * database calls for: the job that starts from its revision (or, once it has run, the one that
 * stamped it, which then says there is nothing to do).
 */
public final class Jobs {
    /**
     * A job: its name and revisions, as the upgrade path knows them ({@link BackfillJob}, the one list of the
     * revisions pgbackfill runs), and how to make one. JobsTest checks that each job says the same revisions.
     */
    public record Known(BackfillJob revisions, String title, Supplier<Job> factory) {
        public String name() { return revisions.key(); }

        public String fromRevision() { return revisions.startRevision(); }

        public String toRevision() { return revisions.stampRevision(); }

        String describe() { return name() + " (" + fromRevision() + " → " + toRevision() + ", \"" + title + "\")"; }
    }

    public static final List<Known> ALL = List.of(
        new Known(BackfillJob.CHAT_MESSAGE, "Add chat_message table", ChatMessageJob::new),
        new Known(BackfillJob.CURRENT_MESSAGE_ID, "add current_message_id to chat", CurrentMessageJob::new));

    private Jobs() { }

    /** The names, as {@link #named} takes them. */
    public static List<String> names() { return ALL.stream().map(Known::name).toList(); }

    /** The job of that name; an IllegalArgumentException listing the names otherwise. */
    public static Known named(String name) {
        return ALL.stream().filter(k -> k.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no job '" + name + "': the jobs are " + String.join(", ", names())));
    }

    /**
     * The job {@code config} runs on the database of {@code c}: its own, or, when it follows from the
     * database's revision, the one {@link #forDatabase} finds, of which {@code fromRevision} is told
     * (with the revision).
     */
    static Job chosen(Connection c, BackfillConfig config, BiConsumer<String, Known> fromRevision) throws SQLException, BackfillException {
        if (!config.jobFromRevision()) return config.newJob();
        String revision = SchemaCheck.revision(c);
        Known known = forRevision(revision);
        fromRevision.accept(revision, known);
        return known.factory().get();
    }

    /**
     * The job the database's revision calls for. At any other revision, a refusal that says which
     * revision each job starts from and what brings the database to the next one.
     */
    static Known forDatabase(Connection c) throws SQLException, BackfillException {
        return forRevision(SchemaCheck.revision(c));
    }

    private static Known forRevision(String revision) throws BackfillException {
        for (Known k : ALL) if (k.fromRevision().equals(revision)) return k;
        // after its stamp, a job is still the one to ask: its check says there is nothing to do (or what is missing)
        for (Known k : ALL) if (k.toRevision().equals(revision)) return k;
        String advice = nextStep(revision);
        throw new BackfillException(Kind.WRONG_REVISION, "the database is at Alembic revision '" + revision + "', where no pgbackfill job "
            + "starts. The jobs: " + ALL.stream().map(Known::describe).collect(Collectors.joining("; ")) + ". " + advice,
            advice.equals(NOTHING_LEFT) ? new NextStep[0] : new NextStep[] {NextStep.SHOW_PATH});
    }

    /** What to run from {@code revision}, as far as Open WebUI's revision graph (the path data) tells. */
    private static String nextStep(String revision) {
        RevisionGraph graph = RevisionGraph.bundled();
        Revision known = graph.revisions().stream().filter(r -> r.id().equals(revision)).findFirst().orElse(null);
        if (known == null) {
            return "pgbackfill does not know this revision (its graph of Open WebUI's revisions goes up to " + graph.newestRelease().version()
                + "). If it is an older Open WebUI's, bring the database to the revision of the next job with Open WebUI's Alembic: "
                + ALL.stream().map(k -> "alembic upgrade " + k.fromRevision() + " for " + k.name()).collect(Collectors.joining(", or "))
                + "; the upgrade path from the upstream revision it is based on shows the steps";
        }
        Set<String> before = graph.ancestors(revision);
        for (Known k : ALL) {
            if (!before.contains(k.fromRevision()) && !k.fromRevision().equals(revision)) {
                return "Bring it to " + k.fromRevision() + " first with Open WebUI's Alembic (alembic upgrade " + k.fromRevision()
                    + "), then run pgbackfill again";
            }
        }
        return NOTHING_LEFT;
    }

    private static final String NOTHING_LEFT = "Both jobs' revisions are behind it: nothing is left for pgbackfill; Open WebUI's own "
        + "migrations go on from here";
}
