package org.pgbackfill.cli;

import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.cli.demo.SeedProgress;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.RevisionSeeder;
import org.pgbackfill.seed.SeedReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pgbackfill demo}: the whole backfill on generated data, start to finish, with nothing to
 * install. Without {@code --database-url} it runs its own PostgreSQL ({@link EmbeddedServer});
 * with one, it works in a scratch database on that server. Either is removed at the end unless
 * {@code --keep}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Shows the upgrade on generated Open WebUI chats, with nothing to install: starts a throwaway "
        + "PostgreSQL (or uses --database-url), seeds it at 374d2f66af06, prints the upgrade path, runs both backfills "
        + "as `pgbackfill run` does (chat_message, then, after the revisions between, current_message_id), verifies each "
        + "result, explains the steps for a real database, and removes everything it made.",
        "Exit code 0 when the result is verified, 9 when verify finds a mismatch, otherwise the codes of `run`."},
    footer = {"%nExamples:",
        "  pgbackfill demo",
        "  pgbackfill demo --size-mb 1000 --workers 4",
        "  pgbackfill demo --keep   # keeps the server's files",
        "  # on a server of yours (the password from ~/.pgpass, not the command line):",
        "  pgbackfill demo \\",
        "      --database-url postgresql://postgres@localhost:5432/postgres",
        "%nWith --database-url the user must be allowed to CREATE DATABASE; the demo works in a new database "
            + "pgbackfill_demo_<random> and drops it at the end (unless --keep). It never touches another database.",
        "The embedded PostgreSQL is bundled for Linux x86-64; it runs on a free port of 127.0.0.1, in a new directory "
            + "under java.io.tmpdir. As root, it runs as the account --os-user (PostgreSQL refuses to run as root)."})
final class DemoCommand implements Callable<Integer> {
    /**
     * The embedded server's settings. fsync and full-page writes are off: a demo cluster never
     * needs to survive a crash of the machine, and seeding is faster.
     */
    private static final Map<String, String> SERVER_SETTINGS = Map.of("fsync", "off", "full_page_writes", "off",
        "synchronous_commit", "off", "max_connections", "100", "max_wal_size", "2GB");

    /** The database the demo fills in its own server. */
    static final String EMBEDDED_DATABASE = "openwebui";
    /** The schema of the run's own tables (run's and verify's default). */
    static final String SCHEMA = "pgbackfill";
    /** Share of generated chats carrying an odd document, so that the report shows rejections. */
    static final double EDGE_CASE_SHARE = 0.05;

    @Option(names = "--database-url",
        description = "Use this server instead of starting one: postgresql://user:pass@host:port/db or a JDBC URL. "
            + "The demo creates and drops its own database there. ($DATABASE_URL is deliberately not read.)")
    String databaseUrl;

    @Option(names = "--size-mb", defaultValue = "200",
        description = "Megabytes of chat documents to generate (default: ${DEFAULT-VALUE}).")
    int sizeMb;

    @Option(names = "--workers", defaultValue = "0",
        description = "Reader threads of the backfill (default: the number of CPU cores).")
    int workers;

    @Option(names = "--seed", defaultValue = "42",
        description = "Seed of the chat generator: the same seed makes the same chats (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--metrics-port", defaultValue = "0",
        description = "Serve the run's Prometheus metrics on this port while it lasts (default: any free port; -1: off).")
    int metricsPort;

    @Option(names = "--keep",
        description = "Keep the data for inspection (the server's directory, or the scratch database) and print how to reach it.")
    boolean keep;

    @Option(names = "--os-user", defaultValue = "nobody",
        description = "When run as root: the account that runs the embedded PostgreSQL (default: ${DEFAULT-VALUE}).")
    String osUser;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() {
        if (sizeMb < 1 || sizeMb > 1_000_000) throw new IllegalArgumentException("--size-mb must be between 1 and 1000000, got " + sizeMb);
        if (workers < 0) throw new IllegalArgumentException("--workers must be positive, got " + workers);
        if (metricsPort < -1 || metricsPort > 65535) throw new IllegalArgumentException("--metrics-port must be -1..65535, got " + metricsPort);
        DatabaseUrl given = databaseUrl == null ? null : DatabaseUrl.parse(databaseUrl);
        long t0 = System.nanoTime();
        Thread interrupted = new Thread(() -> err.println("\npgbackfill demo: interrupted; removing what the demo made"));
        Runtime.getRuntime().addShutdownHook(interrupted);
        int code;
        try (DemoDatabase target = given == null ? DemoDatabase.embedded(osUser, SERVER_SETTINGS, EMBEDDED_DATABASE, out)
                 : DemoDatabase.scratch(given, out, err)) {
            target.keep(keep);
            code = demo(target);
        } catch (DemoFailure f) {
            err.println("pgbackfill demo: " + f.getMessage());
            return f.exitCode;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // it is running
            }
        }
        say(String.format("finished in %.0f s", (System.nanoTime() - t0) / 1e9));
        return code;
    }

    /**
     * Seed, then the whole upgrade as {@code pgbackfill path} prints it: the first job and its
     * verify, Alembic's revisions up to 856c5b02fb54, the second job and its verify; next steps.
     * Returns the exit code.
     */
    private int demo(DemoDatabase target) throws DemoFailure {
        DatabaseUrl url = target.url();
        int connections = Math.max(1, Math.min(4, workers > 0 ? workers : Runtime.getRuntime().availableProcessors()));
        seed(url, connections);

        out.println();
        say("the whole upgrade of this database, as `pgbackfill path` prints it for a real one:");
        int code = Main.execute("path", "--database-url", url.jdbcUrlWithCredentials(), "--calibration-seconds", "1");
        if (code != 0) return code;

        out.println();
        say("pgbackfill runs 8452d01d26d7 (chat_message), as `pgbackfill run` does:");
        code = backfill(url);
        if (code != 0) return code;

        out.println();
        say("Alembic's revisions up to 856c5b02fb54 (on a real database: alembic upgrade 856c5b02fb54; here, pgbackfill's own "
            + "re-creation of them for the tables it seeds)");
        try (Connection c = connect(url)) {
            RevisionSeeder.upgradeTo856c5b02fb54(c);
        } catch (SQLException e) {
            throw DemoFailure.of(e, "applying the revisions up to 856c5b02fb54 on " + url + " failed");
        }

        out.println();
        say("pgbackfill runs 9a1b2c3d4e5f (current_message_id), picked from the database's revision as `pgbackfill run` does:");
        code = backfill(url);
        if (code != 0) return code;

        out.println();
        say("Alembic's last revisions are left to Open WebUI 0.11 (its startup runs them; the demo stops here)");
        out.println();
        printNextSteps();
        return 0;
    }

    /** {@code pgbackfill run} on the demo's database, the job picked by its revision, then verify; the first non-zero exit code, or 0. */
    private int backfill(DatabaseUrl url) {
        BackfillConfig.Builder b = BackfillConfig.builder().database(url).schema(SCHEMA).jobFromRevision();   // otherwise `run`'s defaults
        if (workers > 0) b.workers(workers);
        BackfillRunner.Outcome outcome = BackfillRunner.onConsole(false).run(b, metricsPort);
        if (!outcome.succeeded()) return outcome.exitCode();
        out.println();
        return verify(url);
    }

    /**
     * {@code pgbackfill verify} itself, as a person would run it after a backfill, so that the demo
     * shows its summary and its verdict line exactly; returns its exit code (0 verified, 9 mismatches).
     */
    private int verify(DatabaseUrl url) {
        List<String> args = new ArrayList<>(List.of("verify", "--database-url", url.jdbcUrlWithCredentials(), "--schema", SCHEMA));
        if (workers > 0) args.addAll(List.of("--workers", Integer.toString(workers)));
        return Main.execute(args.toArray(String[]::new));
    }


    private void seed(DatabaseUrl url, int connections) throws DemoFailure {
        GeneratorOptions options = GeneratorOptions.builder()
            .seed(seed)
            .targetBytes(sizeMb * 1_000_000L)
            .edgeCaseShare(EDGE_CASE_SHARE)
            .build();
        say("seeding " + sizeMb + " MB of generated Open WebUI chats (Alembic revision 374d2f66af06, seed " + seed
            + ", " + Math.round(EDGE_CASE_SHARE * 100) + "% of them odd documents) over " + connections + " connection"
            + (connections == 1 ? "" : "s"));
        SeedProgress progress = new SeedProgress(err, System.console() != null, sizeMb * 1_000_000L);
        List<Connection> cs = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) cs.add(connect(url));
            SeedReport report = new ChatSeeder(options).progress(progress).seed(cs);
            progress.done();
            try (Statement st = cs.get(0).createStatement()) {
                st.execute("ANALYZE chat");
            }
            say("seeded " + report);
        } catch (SQLException e) {
            progress.done();
            throw DemoFailure.of(e, "seeding " + url + " failed");
        } finally {
            for (Connection c : cs) {
                try { c.close(); } catch (SQLException ignored) { /* closing */ }
            }
        }
    }

    private void printNextSteps() {
        out.print(nextSteps());
    }

    /** What to do on a real database, as the demo ends. */
    static String nextSteps() {
        StringBuilder out = new StringBuilder();
        line(out, "On a real Open WebUI database (README.md, \"Upgrading a real Open WebUI database\"):");
        // DATABASE_URL stays in the environment: on a command line, ps would show its password to every user of the machine
        line(out, "  1. with DATABASE_URL exported:  cli/target/pgbackfill path   (the steps from the database's revision, with estimates)");
        line(out, "  2. back up:  pg_dump -Fc -f openwebui-before-upgrade.dump  (connection in PGHOST, PGUSER, PGDATABASE; "
            + "password in ~/.pgpass or PGPASSWORD, never on the command line)");
        line(out, "  3. stop Open WebUI (every replica), so that the new version does not start the slow migrations itself");
        // the launcher beside the jar, which gives the JVM the heap the tool needs (java -jar alone may take a quarter of the RAM)
        line(out, "  4. each step path prints, in order: alembic upgrade <revision> with the new version's migrations, and "
            + "cli/target/pgbackfill run for each pgbackfill step (the launcher beside pgbackfill.jar; if it stops, run it again)");
        line(out, "  5. start the new Open WebUI: it finds the slow revisions applied and runs the rest");
        line(out, "  (To keep Open WebUI serving during the backfills instead: README.md, \"Online upgrade (Open WebUI keeps serving)\".)");
        return out.toString();
    }

    private static void line(StringBuilder b, String s) { b.append(s).append(System.lineSeparator()); }

    private void say(String line) {
        DemoDatabase.say(out, line);
    }

    private static Connection connect(DatabaseUrl url) throws SQLException {
        return DemoDatabase.connect(url);
    }
}
