package org.pgbackfill.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.path.PathException;
import org.pgbackfill.path.Revision;
import org.pgbackfill.path.RevisionGraph;
import org.pgbackfill.path.StepEstimator;
import org.pgbackfill.path.UpgradePath;
import org.pgbackfill.path.UpgradeStep;
import org.pgbackfill.BackfillException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pgbackfill path}: the operator's whole upgrade, from the database's Alembic revision (or
 * {@code --from}) to an Open WebUI release, as numbered steps. Reads only {@code alembic_version}.
 */
@Command(name = "path", mixinStandardHelpOptions = true,
    description = {"Prints the whole upgrade from the database's Alembic revision to an Open WebUI release, as numbered steps.",
        "Which revisions Alembic runs (with the commands, Docker and bare metal), which ones pgbackfill runs, in order.",
        "Reads only alembic_version; with --from, it needs no database."},
    footer = {"%nExamples:",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  pgbackfill path",
        "  pgbackfill path --to 0.10.2 --json",
        "  pgbackfill path --from 374d2f66af06"})
final class PathCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions db;

    @Option(names = "--from", paramLabel = "<revision>",
        description = "Plan from this Alembic revision instead of reading the database's.")
    String from;

    @Option(names = "--to", paramLabel = "<release>",
        description = "The Open WebUI release to upgrade to (0.11.0; default: the newest pgbackfill knows).")
    String to;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--calibration-seconds", defaultValue = "3", paramLabel = "<seconds>",
        description = "How long each pgbackfill step's estimate reads sample documents, as plan does (default: ${DEFAULT-VALUE}; "
            + "0: no estimates). Needs the database.")
    double calibrationSeconds;

    @Override
    public Integer call() {
        RevisionGraph graph = RevisionGraph.bundled();
        String revision = from;
        if (revision == null) {
            if (db.databaseUrl == null || db.databaseUrl.isBlank()) {
                throw new IllegalArgumentException("no database URL given: set DATABASE_URL (or pass --database-url) to read its revision, "
                    + "or give the revision with --from <revision>");
            }
            DatabaseUrl url = DatabaseUrl.parse(db.databaseUrl);
            try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties()); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version ORDER BY version_num")) {
                List<String> versions = new ArrayList<>();
                while (rs.next()) versions.add(rs.getString(1));
                if (versions.isEmpty()) {
                    System.err.println("pgbackfill: alembic_version on " + url + " is empty: Open WebUI's migrations have not run on this database");
                    return ExitCodes.of(BackfillException.Kind.NOT_OPEN_WEBUI);
                }
                if (versions.size() > 1) {
                    System.err.println("pgbackfill: alembic_version on " + url + " holds several revisions " + versions
                        + " (heads of separate branches); give the one to plan from with --from <revision>");
                    return ExitCodes.of(BackfillException.Kind.WRONG_REVISION);
                }
                revision = versions.get(0);
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) {
                    System.err.println("pgbackfill: no table 'alembic_version' on " + url + ": not an Open WebUI database (check the database name)");
                    return ExitCodes.of(BackfillException.Kind.NOT_OPEN_WEBUI);
                }
                System.err.println("pgbackfill: cannot read the Alembic revision from " + url + ": " + e.getMessage());
                return Main.exitCodeFor(e);
            }
        }
        if (!(calibrationSeconds >= 0 && calibrationSeconds <= 600)) {
            throw new IllegalArgumentException("--calibration-seconds must be from 0 to 600, got " + calibrationSeconds);
        }
        UpgradePath path;
        try {
            path = UpgradePath.plan(graph, revision, to, StepEstimator.NONE);
            if (path.status() == UpgradePath.Status.UPGRADE && calibrationSeconds > 0 && db.databaseUrl != null && !db.databaseUrl.isBlank()) {
                path = UpgradePath.plan(graph, revision, to, new PathEstimates(db.databaseUrl, db.schema, calibrationSeconds));
            }
        } catch (PathException e) {
            System.err.println("pgbackfill: " + e.getMessage());
            if (e.reason() == PathException.Reason.UNKNOWN_RELEASE) return Main.USAGE;
            if (e.reason() == PathException.Reason.UNKNOWN_REVISION) {
                System.err.println("pgbackfill: for a fork's revision, plan from upstream's revision it builds on: pgbackfill path --from <revision>");
            }
            return ExitCodes.of(BackfillException.Kind.WRONG_REVISION);
        }
        System.out.print(json ? toJson(path) + "\n" : describe(path));
        return 0;
    }

    static String describe(UpgradePath path) {
        StringBuilder out = new StringBuilder();
        Revision from = path.from();
        String release = path.target().version();
        out.append("Upgrade path from Alembic revision ").append(from.id()).append(" (\"").append(from.title()).append("\"")
            .append(from.release().map(r -> ", first in Open WebUI " + r).orElse("")).append(") to Open WebUI ").append(release)
            .append(path.target().date() == null ? "" : " (" + path.target().date() + ")")
            .append(", which ends at revision ").append(path.targetRevision().id()).append(".\n");
        switch (path.status()) {
            case AT_TARGET -> {
                out.append("The database is already at ").append(release).append("'s last revision: nothing to run.\n");
                return out.toString();
            }
            case PAST_TARGET -> {
                out.append("The database is already past ").append(release).append(" (").append(path.targetRevision().id())
                    .append(" is behind ").append(from.id()).append("): nothing to run; pgbackfill does not plan downgrades.\n");
                return out.toString();
            }
            case UPGRADE -> { }
        }
        out.append("Before step 1: back up, and stop every Open WebUI replica (README, Offline upgrade, steps 1-2).\n")
            .append("No new Open WebUI may start before the last pgbackfill step: its startup would run the slow revisions itself.\n")
            .append("Alembic runs with ").append(release).append("'s migration scripts (its image, or its checkout).\n");
        int n = 0;
        List<UpgradeStep> steps = path.steps();
        for (UpgradeStep step : steps) {
            n++;
            out.append('\n');
            if (step instanceof UpgradeStep.Alembic a) {
                int count = a.revisions().size();
                out.append(n).append(". Alembic runs ").append(count).append(count == 1 ? " revision" : " revisions")
                    .append(", up to ").append(a.target().id()).append(":\n");
                int width = a.revisions().stream().mapToInt(r -> r.title().length()).max().orElse(0);
                for (Revision r : a.revisions()) {
                    out.append("     ").append(r.id()).append("  ").append(String.format("%-" + width + "s", r.title()))
                        .append(r.release().map(v -> "  (" + v + ")").orElse("")).append('\n');
                }
                out.append("   Docker (a one-off container of the new image, same database URL and network):\n")
                    .append("     docker run --rm --network <its-network> -e DATABASE_URL ghcr.io/open-webui/open-webui:v").append(release).append(" \\\n")
                    .append("       bash -c 'cd /app/backend/open_webui && alembic upgrade ").append(a.target().id()).append("'\n")
                    .append("   Bare metal (the new version's checkout and virtualenv):\n")
                    .append("     cd open-webui/backend/open_webui && DATABASE_URL=\"$DATABASE_URL\" alembic upgrade ").append(a.target().id()).append('\n');
                if (n == steps.size() && a.target().equals(path.targetRevision())) {
                    out.append("   (Or leave it to Open WebUI ").append(release).append(": its startup runs `alembic upgrade head`, which ends at ")
                        .append(a.target().id()).append(".)\n");
                }
            } else if (step instanceof UpgradeStep.Backfill b) {
                out.append(n).append(". pgbackfill runs ").append(b.stamp().id()).append(" \"").append(b.stamp().title()).append("\" (")
                    .append(b.job().key()).append("): from ").append(b.start().id()).append(", it stamps ").append(b.stamp().id()).append(":\n")
                    .append("     DATABASE_URL=... pgbackfill run\n")
                    .append("   estimate: ").append(b.knownEstimate().map(d -> duration(d) + " on this database (a short calibration; "
                        + (b.start().equals(from) ? "pgbackfill plan gives the details)" : "pgbackfill plan gives the details once the database is at "
                        + b.start().id() + ")"))
                        .orElse("run `pgbackfill plan` on the database once it is at " + b.start().id())).append('\n');
            }
        }
        out.append('\n').append(n + 1).append(". Start Open WebUI ").append(release).append('.').append('\n');
        return out.toString();
    }

    private static String duration(Duration d) {
        long s = Math.max(1, Math.round(d.toMillis() / 1000.0));
        return s < 60 ? "about " + s + " s" : s < 3600 ? "about " + Math.round(s / 60.0) + " min" : String.format("about %.1f h", s / 3600.0);
    }

    static String toJson(UpgradePath path) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("from", path.from().id());
            g.writeStringField("target_release", path.target().version());
            g.writeStringField("target_revision", path.targetRevision().id());
            g.writeStringField("status", path.status().name().toLowerCase(java.util.Locale.ROOT));
            g.writeArrayFieldStart("steps");
            int n = 0;
            for (UpgradeStep step : path.steps()) {
                g.writeStartObject();
                g.writeNumberField("step", ++n);
                if (step instanceof UpgradeStep.Alembic a) {
                    g.writeStringField("kind", "alembic");
                    g.writeStringField("command", "alembic upgrade " + a.target().id());
                    g.writeStringField("upgrade_to", a.target().id());
                    g.writeArrayFieldStart("revisions");
                    for (Revision r : a.revisions()) writeRevision(g, r);
                    g.writeEndArray();
                } else if (step instanceof UpgradeStep.Backfill b) {
                    g.writeStringField("kind", "pgbackfill");
                    g.writeStringField("command", "pgbackfill run");
                    g.writeStringField("job", b.job().key());
                    g.writeStringField("start", b.start().id());
                    g.writeStringField("stamp", b.stamp().id());
                    g.writeStringField("title", b.stamp().title());
                    if (b.estimate() == null) g.writeNullField("estimate_seconds");
                    else g.writeNumberField("estimate_seconds", b.estimate().toMillis() / 1000.0);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void writeRevision(JsonGenerator g, Revision r) throws IOException {
        g.writeStartObject();
        g.writeStringField("revision", r.id());
        g.writeStringField("title", r.title());
        if (r.firstRelease() == null) g.writeNullField("first_release");
        else g.writeStringField("first_release", r.firstRelease());
        g.writeEndObject();
    }
}
