package org.pgbackfill.bench;

import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.RevisionSeeder;
import org.pgbackfill.seed.SeedReport;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's databases on one server: templates seeded once and kept (what they hold is
 * written in the database's comment, so a later run with the same options reuses them), and
 * scratch copies made from them with {@code CREATE DATABASE … TEMPLATE} (a file copy) for each
 * scenario, dropped afterwards.
 */
final class BenchDatabases implements AutoCloseable {
    static final String PREFIX = "pgbackfill_bench_";
    /** Bump when the generator changes what it makes, so that stale templates are seeded again. */
    static final String GENERATOR_VERSION = "1";

    /** A seeded template: chats, bytes of documents, bytes the backfill reads, the largest document. */
    record Template(String name, long chats, long documentBytes, long readBytes, long largestDocumentBytes) { }

    private final DatabaseUrl admin;
    private final boolean reseed;
    /** The names of the scratch copies start with this ({@link #PREFIX} unless the caller names another). */
    private final String prefix;
    private final List<String> scratch = new ArrayList<>();

    BenchDatabases(DatabaseUrl admin, boolean reseed) {
        this(admin, reseed, PREFIX);
    }

    /** With another prefix for the scratch copies, so that two benchmarks on one server do not drop each other's. */
    BenchDatabases(DatabaseUrl admin, boolean reseed, String prefix) {
        this.admin = admin;
        this.reseed = reseed;
        this.prefix = prefix;
    }

    DatabaseUrl url(String database) { return admin.withDatabase(database); }

    /** A template of generated chats (seeded over {@code connections} COPY streams unless one with the same options exists). */
    Template generated(String name, GeneratorOptions g, String fingerprint, int connections, PrintStream out) throws SQLException {
        return ensure(name, fingerprint, out, url -> {
            out.printf(Locale.ROOT, "seeding %s over %d connection(s) ...%n", name, connections);
            List<Connection> cs = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) cs.add(connect(url));
                SeedReport seeded = new ChatSeeder(g).seed(cs);
                out.println("seeded: " + seeded);
            } finally {
                for (Connection c : cs) c.close();
            }
        });
    }

    /**
     * A template at Open WebUI's revision 856c5b02fb54, where the current_message_id job starts:
     * generated chats, chat_message filled by the first job, the revisions up to 856c5b02fb54 and
     * the app's later changes ({@link RevisionSeeder}, as {@code pgbackfill seed --revision 856c5b02fb54}
     * makes it), chat_message frozen and analyzed as chat is.
     */
    Template atCurrentMessageRevision(String name, GeneratorOptions g, String fingerprint, int connections, PrintStream out)
            throws SQLException {
        return ensure(name, fingerprint, out, url -> {
            out.printf(Locale.ROOT, "seeding %s at revision %s over %d connection(s) ...%n", name, RevisionSeeder.BEFORE_CURRENT_MESSAGE,
                connections);
            List<Connection> cs = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) cs.add(connect(url));
                RevisionSeeder.Result seeded = new RevisionSeeder(g, RevisionSeeder.BEFORE_CURRENT_MESSAGE).seed(url, cs);
                out.println("seeded: " + seeded);
                exec(cs.get(0), "VACUUM (FREEZE, ANALYZE) chat_message");
            } catch (BackfillException e) {
                throw new SQLException("seeding " + name + ": the first job failed: " + e.getMessage(), e);
            } finally {
                for (Connection c : cs) c.close();
            }
        });
    }

    /**
     * A template holding one document of about {@code megabytes} MB (messages of 64 kB of hex text)
     * and a few small chats: the memory a single huge chat needs.
     */
    Template hugeDocument(String name, int megabytes, PrintStream out) throws SQLException {
        int messages = Math.max(1, megabytes * 1_000_000 / 66_000);
        return ensure(name, "pgbackfill-bench huge document v" + GENERATOR_VERSION + " " + megabytes + "MB", out, url -> {
            out.printf(Locale.ROOT, "seeding %s with one %d MB chat ...%n", name, megabytes);
            try (Connection c = connect(url); Statement st = c.createStatement()) {
                ChatSeeder.createSchemaIfAbsent(c);
                st.execute("INSERT INTO chat (id, user_id, title, created_at, updated_at, chat, meta) SELECT 'huge', 'user-1', 'huge', "
                    + "1717000000, 1717000000, json_build_object('history', json_build_object('messages', json_object_agg('m' || g, "
                    + "json_build_object('role', CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, 'content', "
                    + "(SELECT string_agg(md5(g::text || ':' || k), '') FROM generate_series(1, 2000) k), "
                    + "'timestamp', 1717000000 + g))))::json, '{}' FROM generate_series(1, " + messages + ") g");
                st.execute("INSERT INTO chat (id, user_id, title, created_at, updated_at, chat, meta) SELECT 'small-' || g, 'user-1', 's', "
                    + "1717000000, 1717000000, '{\"history\":{\"messages\":{\"a\":{\"role\":\"user\",\"content\":\"hi\"}}}}', '{}' "
                    + "FROM generate_series(1, 100) g");
            }
        });
    }

    private interface Seeding { void seed(DatabaseUrl url) throws SQLException; }

    private Template ensure(String name, String fingerprint, PrintStream out, Seeding seeding) throws SQLException {
        try (Connection c = connect(admin)) {
            String comment = one(c, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '" + name + "'");
            if (comment != null && !reseed && comment.startsWith(fingerprint + ";")) {
                String[] f = comment.substring(fingerprint.length() + 1).split(",");
                out.println("reusing " + name + " (" + fingerprint + ")");
                return new Template(name, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
            }
            if (exists(c, name)) {
                out.println("dropping " + name + (reseed ? " (--reseed)" : " (made with other options)"));
                drop(name);
            }
            exec(c, "CREATE DATABASE " + name + " ENCODING 'UTF8' TEMPLATE template0");
        }
        seeding.seed(url(name));
        Template t;
        try (Connection c = connect(url(name))) {
            exec(c, "VACUUM (FREEZE, ANALYZE) chat");       // hint bits set once, not during the timed reads
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(octet_length(chat::text)), 0), "
                    + "coalesce(sum(octet_length(chat::text)) FILTER (WHERE user_id NOT LIKE 'shared-%'), 0), "
                    + "coalesce(max(octet_length(chat::text)), 0) FROM chat")) {
                rs.next();
                t = new Template(name, rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            }
            try { exec(c, "CHECKPOINT"); } catch (SQLException e) { /* needs pg_checkpoint; only makes the copies faster */ }
        }
        try (Connection c = connect(admin)) {
            exec(c, "COMMENT ON DATABASE " + name + " IS '" + fingerprint.replace("'", "''") + ";" + t.chats() + "," + t.documentBytes()
                + "," + t.readBytes() + "," + t.largestDocumentBytes() + "'");
        }
        return t;
    }

    /** A fresh copy of {@code template}, dropped by {@link #release} or at {@link #close}. */
    DatabaseUrl copy(Template template, String name) throws SQLException, InterruptedException {
        String db = prefix + "run_" + name;
        try (Connection c = connect(admin)) {
            if (exists(c, db)) drop(db);
            int version = Integer.parseInt(one(c, "SHOW server_version_num"));
            String strategy = version >= 150000 ? " STRATEGY FILE_COPY" : "";
            for (int attempt = 1; ; attempt++) {
                try {
                    exec(c, "CREATE DATABASE " + db + " TEMPLATE " + template.name() + strategy);
                    break;
                } catch (SQLException e) {
                    // "source database is being accessed by other users": a connection still closing
                    if (attempt >= 10 || !"55006".equals(e.getSQLState())) throw e;
                    Thread.sleep(500);
                }
            }
        }
        scratch.add(db);
        return url(db);
    }

    void release(DatabaseUrl copy) throws SQLException {
        String db = copy.jdbcUrl().replaceAll(".*/([^/?]+).*", "$1");
        drop(db);
        scratch.remove(db);
    }

    void drop(String db) throws SQLException {
        try (Connection c = connect(admin)) {
            int version = Integer.parseInt(one(c, "SHOW server_version_num"));
            exec(c, "DROP DATABASE IF EXISTS " + db + (version >= 130000 ? " WITH (FORCE)" : ""));
        }
    }

    @Override public void close() {
        for (String db : new ArrayList<>(scratch)) {
            try { drop(db); } catch (SQLException e) { System.err.println("could not drop " + db + ": " + e.getMessage()); }
        }
    }

    static Connection connect(DatabaseUrl url) throws SQLException {
        return DriverManager.getConnection(url.jdbcUrl(), url.properties());
    }

    static boolean exists(Connection c, String db) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The server's WAL insert position, in bytes (a difference of two is the WAL written between them). */
    static long walPosition(Connection c) throws SQLException {
        return Long.parseLong(one(c, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint"));
    }
}
