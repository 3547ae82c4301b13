package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.run.Backfill;
import org.pgbackfill.run.BackfillConfig;
import org.pgbackfill.run.Phase;
import org.pgbackfill.run.PhaseReport;
import org.pgbackfill.run.ProgressListener;
import org.pgbackfill.run.RunReport;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.EdgeCase;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.SeedReport;
import org.postgresql.PGConnection;

import java.io.OutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The whole backfill against a real PostgreSQL, per worker count, next to what merely reading the
 * documents costs.
 * <pre>
 * java -cp bench/target/pgbackfill-bench.jar org.pgbackfill.bench.EndToEndBenchmark \
 *   --database-url postgresql://postgres@127.0.0.1:5432/postgres --size-mb 1000 --workers 1,2,4
 * </pre>
 * <ol>
 * <li>Seeds a template database ({@value #TEMPLATE}) once with {@link ChatSeeder}; later runs
 *     with the same generator options reuse it (the options are kept in the database's comment).
 *     It is kept at the end; {@code --drop-template} drops it.</li>
 * <li>Measures the read limit on it: {@code COPY (SELECT id, user_id, chat FROM chat WHERE
 *     user_id NOT LIKE 'shared-%') TO STDOUT}, streamed to this process and discarded (best of
 *     {@code --read-repeats}, warm cache), and, when the role may write server files, the same
 *     {@code TO '/dev/null'} on the server.</li>
 * <li>For each worker count: {@code CREATE DATABASE … TEMPLATE} (a file copy, seconds), a
 *     {@link Backfill} with a fixed "now", then {@code DROP DATABASE}.</li>
 * <li>Prints one table: per worker count and phase, seconds, MB/s of documents (the documents the
 *     backfill read, in 10^6 bytes, divided by the phase's seconds), rows/s (rows in
 *     {@code chat_message} divided by the seconds) and the ratio of that MB/s to the read limit.</li>
 * </ol>
 */
public final class EndToEndBenchmark {
    static final String TEMPLATE = "pgbackfill_bench_src";
    static final String SCRATCH_PREFIX = "pgbackfill_bench_run_";
    /** Bump when the generator changes what it makes, so that stale templates are re-seeded. */
    static final String GENERATOR_VERSION = "1";

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // the engine's INFO lines would interleave with the table; -Dorg.slf4j.simpleLogger.defaultLogLevel=info shows them
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new EndToEndBenchmark(o).run(System.out));
    }

    private final Options o;
    private final List<String> scratch = new ArrayList<>();

    EndToEndBenchmark(Options o) { this.o = o; }

    int run(PrintStream out) throws Exception {
        DatabaseUrl admin = o.url;
        Template t = ensureTemplate(admin, out);
        out.printf(Locale.ROOT, "template %s: %d chats, %.1f MB of documents (%.1f MB read by the backfill's predicate)%n",
            TEMPLATE, t.chats, t.documentBytes / 1e6, t.readBytes / 1e6);

        ReadLimit limit = measureRead(admin.withDatabase(TEMPLATE), t, out);
        Map<Integer, List<RunReport>> results = new LinkedHashMap<>();
        try {
            for (int workers : o.workers) {
                for (int r = 0; r < o.repeats; r++) {
                    String db = SCRATCH_PREFIX + workers + "_" + r;
                    createCopy(admin, db);
                    scratch.add(db);
                    out.printf(Locale.ROOT, "backfill with %d worker(s) on %s ...%n", workers, db);
                    BackfillConfig.Builder cb = BackfillConfig.builder().database(admin.withDatabase(db))
                        .workers(workers).nowEpoch(o.nowEpoch).progress(new PhasePrinter(out));
                    RunReport report = new Backfill(cb.build()).run();
                    results.computeIfAbsent(workers, k -> new ArrayList<>()).add(report);
                    drop(admin, db);
                    scratch.remove(db);
                }
            }
        } finally {
            for (String db : new ArrayList<>(scratch)) {
                try { drop(admin, db); } catch (SQLException e) { out.println("could not drop " + db + ": " + e.getMessage()); }
            }
            if (o.dropTemplate) drop(admin, TEMPLATE);
        }
        printTable(out, t, limit, results);
        if (!o.dropTemplate) out.println("kept " + TEMPLATE + " for the next run (--drop-template drops it)");
        return 0;
    }

    // ---------------------------------------------------------------- template --------------

    record Template(long chats, long documentBytes, long readBytes) { }

    private Template ensureTemplate(DatabaseUrl admin, PrintStream out) throws SQLException {
        String fingerprint = fingerprint();
        try (Connection c = connect(admin)) {
            String comment = one(c, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '" + TEMPLATE + "'");
            if (comment != null && !o.reseed && comment.startsWith(fingerprint + ";")) {
                String[] f = comment.substring(fingerprint.length() + 1).split(",");
                out.println("reusing " + TEMPLATE + " (" + fingerprint + ")");
                return new Template(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
            }
            if (exists(c, TEMPLATE)) {
                out.println("dropping " + TEMPLATE + (o.reseed ? " (--reseed)" : " (made with other options)"));
                drop(admin, TEMPLATE);
            }
            exec(c, "CREATE DATABASE " + TEMPLATE + " ENCODING 'UTF8' TEMPLATE template0");
        }
        DatabaseUrl url = admin.withDatabase(TEMPLATE);
        GeneratorOptions g = generatorOptions();
        out.printf(Locale.ROOT, "seeding %s with %d MB of generated chats over %d connection(s) ...%n",
            TEMPLATE, o.sizeMb, o.seedConnections);
        List<Connection> cs = new ArrayList<>();
        SeedReport seeded;
        long readBytes;
        try {
            for (int i = 0; i < o.seedConnections; i++) cs.add(connect(url));
            seeded = new ChatSeeder(g).seed(cs);
            out.println("seeded: " + seeded);
            Connection c = cs.get(0);
            exec(c, "VACUUM (FREEZE, ANALYZE) chat");       // hint bits set once, not during the timed reads
            readBytes = Long.parseLong(one(c, "SELECT coalesce(sum(octet_length(chat::text)), 0) FROM chat WHERE user_id NOT LIKE 'shared-%'"));
            try { exec(c, "CHECKPOINT"); } catch (SQLException e) { /* needs pg_checkpoint; only makes the copy faster */ }
        } finally {
            for (Connection c : cs) c.close();
        }
        try (Connection c = connect(admin)) {
            exec(c, "COMMENT ON DATABASE " + TEMPLATE + " IS '" + fingerprint + ";" + seeded.chats() + ","
                + seeded.documentBytes() + "," + readBytes + "'");
        }
        return new Template(seeded.chats(), seeded.documentBytes(), readBytes);
    }

    private GeneratorOptions generatorOptions() {
        return GeneratorOptions.builder().seed(o.seed).chats(Long.MAX_VALUE).targetBytes(o.sizeMb * 1_000_000L)
            .meanDocumentBytes(o.meanKb * 1024).sizeSigma(o.sigma).edgeCaseShare(o.edgeShare).edgeCases(o.edgeCases())
            .incompressibleShare(o.incompressibleShare).build();
    }

    private String fingerprint() {
        return String.format(Locale.ROOT, "pgbackfill-bench v%s seed=%d size=%dMB mean=%dKB sigma=%s edge=%s%s incompressible=%s",
            GENERATOR_VERSION, o.seed, o.sizeMb, o.meanKb, o.sigma, o.edgeShare,
            o.excluded.isEmpty() ? "" : " without " + o.excluded, o.incompressibleShare);
    }

    private void createCopy(DatabaseUrl admin, String db) throws SQLException, InterruptedException {
        try (Connection c = connect(admin)) {
            if (exists(c, db)) drop(admin, db);
            int version = Integer.parseInt(one(c, "SHOW server_version_num"));
            String strategy = version >= 150000 ? " STRATEGY FILE_COPY" : "";
            for (int attempt = 1; ; attempt++) {
                try {
                    exec(c, "CREATE DATABASE " + db + " TEMPLATE " + TEMPLATE + strategy);
                    return;
                } catch (SQLException e) {
                    // "source database is being accessed by other users": a connection still closing
                    if (attempt >= 10 || !"55006".equals(e.getSQLState())) throw e;
                    Thread.sleep(500);
                }
            }
        }
    }

    // ---------------------------------------------------------------- read limit ------------

    record ReadLimit(double streamedSeconds, double serverSeconds, long bytes) {
        double streamedMbPerSecond() { return bytes / 1e6 / streamedSeconds; }
        double serverMbPerSecond() { return serverSeconds > 0 ? bytes / 1e6 / serverSeconds : 0; }
    }

    private ReadLimit measureRead(DatabaseUrl url, Template t, PrintStream out) throws Exception {
        String select = "SELECT id, user_id, chat FROM chat WHERE user_id NOT LIKE 'shared-%'";
        double best = Double.MAX_VALUE, bestServer = 0;
        try (Connection c = connect(url)) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (int i = 0; i < o.readRepeats; i++) {
                long t0 = System.nanoTime();
                copy.copyOut("COPY (" + select + ") TO STDOUT", OutputStream.nullOutputStream());
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            try {
                bestServer = Double.MAX_VALUE;
                for (int i = 0; i < o.readRepeats; i++) {
                    long t0 = System.nanoTime();
                    exec(c, "COPY (" + select + ") TO '/dev/null'");
                    bestServer = Math.min(bestServer, (System.nanoTime() - t0) / 1e9);
                }
            } catch (SQLException e) {
                bestServer = 0;       // not superuser nor pg_write_server_files: the streamed figure stands
                out.println("(no server-side read limit: " + e.getMessage().split("\n")[0] + ")");
            }
        }
        ReadLimit r = new ReadLimit(best, bestServer, t.readBytes);
        out.printf(Locale.ROOT, "read limit: %.2f s streamed to the client (%.1f MB/s of documents)%s%n",
            r.streamedSeconds, r.streamedMbPerSecond(),
            r.serverSeconds > 0 ? String.format(Locale.ROOT, ", %.2f s to /dev/null on the server (%.1f MB/s)",
                r.serverSeconds, r.serverMbPerSecond()) : "");
        return r;
    }

    // ---------------------------------------------------------------- report ----------------

    private void printTable(PrintStream out, Template t, ReadLimit limit, Map<Integer, List<RunReport>> results) {
        out.println();
        out.printf(Locale.ROOT, "%d chats, %.1f MB of documents; read limit %.1f MB/s (streamed COPY TO STDOUT)%n",
            t.chats, t.readBytes / 1e6, limit.streamedMbPerSecond());
        out.println("MB/s = MB of documents the backfill read / the phase's seconds; rows/s = rows in chat_message / seconds;");
        out.println("vs read = that MB/s / the read limit (1.00 = as fast as just reading the documents);");
        out.println("check, plan and stamp do not scale with the data: seconds only");
        out.printf("%-7s %-6s %9s %9s %11s %8s%n", "workers", "phase", "seconds", "MB/s", "rows/s", "vs read");
        for (Map.Entry<Integer, List<RunReport>> e : results.entrySet()) {
            for (RunReport r : e.getValue()) {
                double mb = r.documentBytes() / 1e6;
                for (PhaseReport p : r.phases()) {
                    boolean volume = p.phase() == Phase.LOAD || p.phase() == Phase.MERGE || p.phase() == Phase.BUILD;
                    row(out, e.getKey(), p.phase().label(), p.seconds(), volume ? mb : -1, r.rowsWritten(), limit);
                }
                row(out, e.getKey(), "total", r.totalSeconds(), mb, r.rowsWritten(), limit);
                out.printf(Locale.ROOT, "%-7s %-6s chats read %d, rows %d, rejections %d%n", "", "", r.chatsRead(),
                    r.rowsWritten(), r.rejectionCount());
            }
        }
    }

    private static void row(PrintStream out, int workers, String phase, double seconds, double mb, long rows, ReadLimit limit) {
        if (seconds < 0.0005 || mb < 0) {
            out.printf(Locale.ROOT, "%-7d %-6s %9.3f%n", workers, phase, seconds);
            return;
        }
        double mbps = mb / seconds;
        out.printf(Locale.ROOT, "%-7d %-6s %9.2f %9.1f %11.0f %8.2f%n", workers, phase, seconds, mbps, rows / seconds,
            mbps / limit.streamedMbPerSecond());
    }

    /** Prints each phase as it ends, so a long run shows life. */
    private static final class PhasePrinter implements ProgressListener {
        private final PrintStream out;

        PhasePrinter(PrintStream out) { this.out = out; }

        @Override public void phaseFinished(PhaseReport report) {
            out.printf(Locale.ROOT, "  %-6s %8.2f s%n", report.phase().label(), report.seconds());
        }

        @Override public void info(String message) {
            out.println("  " + message);
        }
    }

    // ---------------------------------------------------------------- SQL helpers -----------

    private static Connection connect(DatabaseUrl url) throws SQLException {
        return DriverManager.getConnection(url.jdbcUrl(), url.properties());
    }

    private static void drop(DatabaseUrl admin, String db) throws SQLException {
        try (Connection c = connect(admin)) {
            int version = Integer.parseInt(one(c, "SHOW server_version_num"));
            exec(c, "DROP DATABASE IF EXISTS " + db + (version >= 130000 ? " WITH (FORCE)" : ""));
        }
    }

    private static boolean exists(Connection c, String db) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    // ---------------------------------------------------------------- options ---------------

    static final class Options {
        static final String USAGE = """
            usage: EndToEndBenchmark --database-url URL [options]
              --database-url URL        a database on the server to use for CREATE/DROP DATABASE (e.g. .../postgres)
              --size-mb N               MB of documents to seed (default 1000)
              --workers 1,2,4           worker counts to run (default 1,2,4)
              --repeats N               backfills per worker count (default 1)
              --seed N                  generator seed (default 42)
              --mean-kb N               mean document size in KiB (default 64)
              --sigma X                 log-normal sigma of document sizes (default 2.0)
              --edge-share X            share of edge-case chats (default 0)
              --exclude-edge-cases A,B  edge cases (EdgeCase names) not to generate, e.g. LONG_KEY
              --incompressible-share X  share of base64 bytes (default 0.1)
              --seed-connections N      parallel COPY streams when seeding (default 2)
              --read-repeats N          read-limit measurements, best kept (default 2)
              --now-epoch N             the backfill's fixed now (default 1750086400)
              --reseed                  seed the template again even if it matches
              --drop-template           drop the template at the end instead of keeping it""";

        DatabaseUrl url;
        long sizeMb = 1000;
        List<Integer> workers = List.of(1, 2, 4);
        int repeats = 1;
        long seed = 42;
        int meanKb = 64;
        double sigma = 2.0;
        double edgeShare = 0;
        double incompressibleShare = 0.1;
        int seedConnections = 2;
        int readRepeats = 2;
        long nowEpoch = 1_750_086_400L;
        boolean reseed;
        boolean dropTemplate;
        Set<EdgeCase> excluded = EnumSet.noneOf(EdgeCase.class);

        Set<EdgeCase> edgeCases() {
            Set<EdgeCase> s = EnumSet.copyOf(EdgeCase.defaults());
            s.removeAll(excluded);
            return s;
        }

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--reseed" -> o.reseed = true;
                    case "--drop-template" -> o.dropTemplate = true;
                    case "-h", "--help" -> throw new IllegalArgumentException("help");
                    default -> {
                        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                        String v = args[++i];
                        try {
                            switch (a) {
                                case "--database-url" -> o.url = DatabaseUrl.parse(v);
                                case "--size-mb" -> o.sizeMb = Long.parseLong(v);
                                case "--workers" -> o.workers = parseList(v);
                                case "--repeats" -> o.repeats = Integer.parseInt(v);
                                case "--seed" -> o.seed = Long.parseLong(v);
                                case "--mean-kb" -> o.meanKb = Integer.parseInt(v);
                                case "--sigma" -> o.sigma = Double.parseDouble(v);
                                case "--edge-share" -> o.edgeShare = Double.parseDouble(v);
                                case "--exclude-edge-cases" -> {
                                    for (String n : v.split(",")) {
                                        try {
                                            o.excluded.add(EdgeCase.valueOf(n.trim().toUpperCase(Locale.ROOT)));
                                        } catch (IllegalArgumentException e) {
                                            throw new IllegalArgumentException("--exclude-edge-cases: no edge case " + n
                                                + "; known: " + java.util.Arrays.toString(EdgeCase.values()));
                                        }
                                    }
                                }
                                case "--incompressible-share" -> o.incompressibleShare = Double.parseDouble(v);
                                case "--seed-connections" -> o.seedConnections = Integer.parseInt(v);
                                case "--read-repeats" -> o.readRepeats = Integer.parseInt(v);
                                case "--now-epoch" -> o.nowEpoch = Long.parseLong(v);
                                default -> throw new IllegalArgumentException("unknown option " + a);
                            }
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(a + ": not a number: " + v);
                        }
                    }
                }
            }
            if (o.url == null) {
                String env = System.getenv("DATABASE_URL");
                if (env == null) throw new IllegalArgumentException("--database-url is required");
                o.url = DatabaseUrl.parse(env);
            }
            if (o.sizeMb < 1) throw new IllegalArgumentException("--size-mb must be at least 1, got " + o.sizeMb);
            if (o.repeats < 1 || o.readRepeats < 1 || o.seedConnections < 1) {
                throw new IllegalArgumentException("--repeats, --read-repeats and --seed-connections must be at least 1");
            }
            o.generatorCheck();
            return o;
        }

        private void generatorCheck() {
            // fail here, with the option's name, rather than after connecting
            GeneratorOptions.builder().meanDocumentBytes(meanKb * 1024).sizeSigma(sigma).edgeCaseShare(edgeShare)
                .edgeCases(edgeCases()).incompressibleShare(incompressibleShare).build();
        }

        private static List<Integer> parseList(String v) {
            List<Integer> l = new ArrayList<>();
            for (String s : v.split(",")) {
                int n = Integer.parseInt(s.trim());
                if (n < 1) throw new IllegalArgumentException("--workers: counts must be at least 1, got " + n);
                l.add(n);
            }
            if (l.isEmpty()) throw new IllegalArgumentException("--workers: no count given");
            return l;
        }
    }
}
