package org.pgbackfill.cli;

import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.RevisionSeeder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pgbackfill seed}: fills a database with realistic Open WebUI chats, for trying the tool,
 * benchmarks and tests: at revision 374d2f66af06 (the chat table), or at 856c5b02fb54 (chat_message
 * filled by the first job, the revisions in between, then the app's later life; {@link RevisionSeeder}).
 * It refuses to add chats to a table that already has some unless told to, so it cannot be pointed at
 * a real install by mistake.
 */
@Command(name = "seed", mixinStandardHelpOptions = true,
    description = {"Fills a database with realistic, generated Open WebUI chats, at revision 374d2f66af06 or 856c5b02fb54.",
        "At 856c5b02fb54 (--revision): chat_message filled by the first job, the revisions up to 856c5b02fb54, then",
        "the app's later life (rows deleted and edited, regenerated replies, currentId pointing nowhere, shared chats).",
        "Creates the schema when absent. Loads with COPY; the same --seed gives the same data."},
    footer = {"%nExamples:",
        "  createdb owui_test",
        "  pgbackfill seed --size-mb 1000 \\",
        "      --database-url postgresql://postgres@localhost/owui_test",
        "  pgbackfill seed --chats 500 --edge-share 0.3 --seed 7",
        "  pgbackfill seed --revision 856c5b02fb54 --chats 2000"})
final class SeedCommand implements Callable<Integer> {
    @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}",
        description = "The database to fill (postgresql://… or jdbc:postgresql://…). Default: $DATABASE_URL.")
    String databaseUrl;

    @Option(names = "--revision", defaultValue = RevisionSeeder.BEFORE_CHAT_MESSAGE,
        description = "The Alembic revision the database is left at: 374d2f66af06 or 856c5b02fb54 (default: ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--size-mb", description = "Generate until this many MB of documents (default: --chats decides).")
    Long sizeMb;

    @Option(names = "--chats", defaultValue = "1000", description = "Number of chats, unless --size-mb is given (default: ${DEFAULT-VALUE}).")
    long chats;

    @Option(names = "--mean-kb", defaultValue = "64", description = "Mean document size in KB (default: ${DEFAULT-VALUE}).")
    int meanKb;

    @Option(names = "--skew", defaultValue = "2.0",
        description = "Size skew: log-normal sigma of document sizes; 0 = all alike (default: ${DEFAULT-VALUE}).")
    double skew;

    @Option(names = "--edge-share", defaultValue = "0.01",
        description = "Share of chats (0..1) carrying one of SPEC.md's edge cases (default: ${DEFAULT-VALUE}).")
    double edgeShare;

    @Option(names = "--incompressible-share", defaultValue = "0.10",
        description = "Share of document bytes (0..1) that is random base64, as pasted images are (default: ${DEFAULT-VALUE}).")
    double incompressibleShare;

    @Option(names = "--shared-share", defaultValue = "0.02",
        description = "Share of chats (0..1) that are shared-link copies (user_id 'shared-…') (default: ${DEFAULT-VALUE}).")
    double sharedShare;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed: the same seed gives the same chats (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--connections", defaultValue = "2", description = "Parallel COPY streams (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--append", description = "Add chats even if the chat table already has some.")
    boolean append;

    @Override
    public Integer call() throws Exception {
        RevisionSeeder.check(revision);
        DatabaseUrl url = DatabaseOptions.parse(databaseUrl);
        if (connections < 1 || connections > 16) throw new IllegalArgumentException("--connections must be 1..16, got " + connections);
        GeneratorOptions.Builder o = GeneratorOptions.builder().seed(seed).meanDocumentBytes(meanKb * 1024)
            .sizeSigma(skew).edgeCaseShare(edgeShare).incompressibleShare(incompressibleShare).sharedUserShare(sharedShare);
        if (sizeMb != null) o.targetBytes(sizeMb * 1_000_000L); else o.chats(chats);
        GeneratorOptions options = o.build();
        RevisionSeeder seeder = new RevisionSeeder(options, revision);
        boolean upgraded = revision.equals(RevisionSeeder.BEFORE_CURRENT_MESSAGE);
        if (upgraded && append) {
            throw new IllegalArgumentException("--append adds chats at revision 374d2f66af06 only; seeding at " + revision
                + " creates the whole schema in an empty database");
        }

        List<Connection> conns = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) conns.add(DriverManager.getConnection(url.jdbcUrl(), url.properties()));
            Connection first = conns.get(0);
            boolean created = !upgraded && ChatSeeder.createSchemaIfAbsent(first);
            if (!created && (upgraded ? hasTable(first) : !append && hasChats(first))) {
                System.err.println("pgbackfill: " + url + (upgraded ? " already has a chat table; seeding at " + revision
                    + " needs an empty database (it creates the whole schema)"
                    : " already has chats; refusing to add generated ones to it. "
                    + "Seed an empty database, or pass --append if this really is a test database"));
                return Main.USAGE;
            }
            System.out.println("pgbackfill: seeding " + url + (created || upgraded ? " (schema created at revision " + revision + ")" : ""));
            long[] last = {System.nanoTime()};
            RevisionSeeder.Result report = seeder.progress((n, bytes) -> {
                long now = System.nanoTime();
                if (now - last[0] > 5_000_000_000L) {
                    last[0] = now;
                    System.err.printf("seed: %d chats, %.1f MB%n", n, bytes / 1e6);
                }
            }).seed(url, conns);
            try (Statement st = first.createStatement()) {
                st.execute("ANALYZE chat");
            }
            System.out.println("seeded " + report);
            return 0;
        } catch (SQLException e) {
            System.err.println("pgbackfill: seeding " + url + " failed: " + e.getMessage());
            return Main.exitCodeFor(e);
        } catch (BackfillException e) {
            System.err.println("pgbackfill: seeding " + url + " failed while filling chat_message: " + Advice.message(e));
            return ExitCodes.of(e);
        } finally {
            for (Connection c : conns) c.close();
        }
    }

    private static boolean hasTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('chat') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static boolean hasChats(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM chat)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
