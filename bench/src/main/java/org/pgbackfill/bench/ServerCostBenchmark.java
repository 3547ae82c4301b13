package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.schema.IndexBuilder;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What each of the server's costs in the chat_message job is, in CPU-seconds of the one backend doing
 * it (read from /proc while it lives), on a copy of the end-to-end benchmark's template after a
 * pgbackfill run filled chat_message. Each cost is the difference between two statements that differ
 * by it alone:
 * <ul>
 *   <li>reading: a scan of chat (no document touched); the same summing every document's length
 *       (each detoasted and decompressed); the backfill's COPY of the documents to this process;</li>
 *   <li>writing the final rows (binary COPY from a file, as the backfill writes them) into a table
 *       like chat_message, logged, lz4: and the same with the JSON columns as text (no JSON
 *       validation; a json value's binary form is its text, so the same file loads), with no
 *       compression (STORAGE EXTERNAL), with pglz, and unlogged (no WAL);</li>
 *   <li>the eight indexes, one after another.</li>
 * </ul>
 * <pre>
 * java -cp bench/target/pgbackfill-bench.jar org.pgbackfill.bench.ServerCostBenchmark \
 *   --database-url postgresql://postgres@127.0.0.1:5432/postgres --size-mb 1600
 * </pre>
 * The server must run on this machine (its backends' CPU is read from /proc).
 */
public final class ServerCostBenchmark {
    public static void main(String[] args) throws Exception {
        EndToEndBenchmark.Options o = new EndToEndBenchmark.Options();
        o.sizeMb = 1600;
        BenchOptions.main(args, o, USAGE, options -> new ServerCostBenchmark(options).run(System.out));
    }

    static final String USAGE = """
        usage: ServerCostBenchmark --database-url URL [options]
          --database-url URL        a database on the server (on this machine) to use for CREATE/DROP DATABASE
          --size-mb N               MB of documents of the template (default 1600)
          --cli-jar PATH            the pgbackfill jar that fills chat_message (default cli/target/pgbackfill.jar)
          the template's options (--prefix, --seed, --mean-kb, --sigma, --incompressible-share, --seed-connections,
          --reseed) are EndToEndBenchmark's, whose templates it uses""";

    private final EndToEndBenchmark.Options o;

    ServerCostBenchmark(EndToEndBenchmark.Options o) { this.o = o; }

    /** One statement's cost: the backend's CPU-seconds and the wall seconds. */
    record Cost(String what, double cpu, double wall) { }

    int run(PrintStream out) throws Exception {
        List<Cost> costs = new ArrayList<>();
        try (BenchDatabases dbs = new BenchDatabases(o.url, o.reseed, o.prefix)) {
            BenchDatabases.Template t = EndToEndBenchmark.template(dbs, o, o.sizeMb, out);
            DatabaseUrl copy = dbs.copy(t, "server_costs");
            out.println("pgbackfill run, to fill chat_message ...");
            o.pgbackfill().run(copy, 2, o.nowEpoch);
            try (Connection c = BenchDatabases.connect(copy); Statement st = c.createStatement()) {
                String where = " FROM chat WHERE user_id NOT LIKE 'shared-%'";
                costs.add(measure(c, "read: scan chat, no document touched", () -> st.execute("SELECT count(*)" + where)));
                costs.add(measure(c, "read: every document detoasted and decompressed", () ->
                    st.execute("SELECT sum(octet_length(chat::text))" + where)));
                CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
                costs.add(measure(c, "read: the backfill's COPY of the documents to the client", () ->
                    cm.copyOut("COPY (SELECT id, user_id, chat" + where + ") TO STDOUT (FORMAT binary)", OutputStream.nullOutputStream())));

                Path rows = Files.createTempFile("pgbackfill-bench-rows", ".copy");
                try {
                    try (OutputStream f = new BufferedOutputStream(Files.newOutputStream(rows), 1 << 20)) {
                        cm.copyOut("COPY chat_message TO STDOUT (FORMAT binary)", f);
                    }
                    st.execute("SET maintenance_work_mem = '256MB'");
                    boolean lz4 = setCompression(st, "lz4");
                    String compression = lz4 ? "lz4" : "pglz";
                    costs.add(write(c, cm, rows, "write: the rows, logged, " + compression + " (as the backfill)", "", false, true));
                    costs.add(write(c, cm, rows, "write: the same, JSON columns as text (no JSON validation)", "text", false, true));
                    costs.add(write(c, cm, rows, "write: the same, no compression (STORAGE EXTERNAL)", "external", false, true));
                    costs.add(write(c, cm, rows, "write: the same, unlogged (no WAL)", "", true, true));
                    if (lz4) {
                        setCompression(st, "pglz");
                        costs.add(write(c, cm, rows, "write: the same, pglz (a server without lz4)", "", false, true));
                        setCompression(st, "lz4");
                    }
                    write(c, cm, rows, "(the table for the indexes)", "", false, false);
                    for (org.pgbackfill.schema.Index ix : IndexBuilder.ALL) {
                        costs.add(measure(c, "index " + ix.name(), () -> st.execute(ix.on("pgbackfill_bench_cost", "cost_" + ix.name()))));
                    }
                    st.execute("DROP TABLE pgbackfill_bench_cost");
                } finally {
                    Files.deleteIfExists(rows);
                }
            }
            dbs.release(copy);
        }
        out.printf(Locale.ROOT, "%n## The server's costs, %d MB of documents: CPU-seconds of the one backend doing each%n%n", o.sizeMb);
        out.println("| statement | server CPU s | wall s |");
        out.println("|---|---|---|");
        double indexCpu = 0, indexWall = 0;
        for (Cost k : costs) {
            if (k.what().startsWith("index ")) {
                indexCpu += k.cpu();
                indexWall += k.wall();
            } else {
                out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", k.what(), k.cpu(), k.wall());
            }
        }
        out.printf(Locale.ROOT, "| the eight indexes, one after another | %.2f | %.2f |%n", indexCpu, indexWall);
        return 0;
    }

    /** COPY of the rows file into a fresh table like chat_message ({@code variant}: "", "text", "external"), measured. */
    private Cost write(Connection c, CopyManager cm, Path rows, String what, String variant, boolean unlogged, boolean drop)
            throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS pgbackfill_bench_cost");
            st.execute("CREATE " + (unlogged ? "UNLOGGED " : "") + "TABLE pgbackfill_bench_cost (LIKE chat_message)");
            List<String> json = new ArrayList<>();
            try (var rs = st.executeQuery("SELECT attname FROM pg_attribute WHERE attrelid = 'pgbackfill_bench_cost'::regclass "
                    + "AND attnum > 0 AND NOT attisdropped AND atttypid = 'json'::regtype")) {
                while (rs.next()) json.add(rs.getString(1));
            }
            for (String col : json) {
                if (variant.equals("text")) st.execute("ALTER TABLE pgbackfill_bench_cost ALTER COLUMN " + col + " TYPE text");
            }
            if (variant.equals("external")) {
                List<String> toasted = new ArrayList<>();
                try (var rs = st.executeQuery("SELECT attname FROM pg_attribute WHERE attrelid = 'pgbackfill_bench_cost'::regclass "
                        + "AND attnum > 0 AND NOT attisdropped AND attstorage <> 'p'")) {
                    while (rs.next()) toasted.add(rs.getString(1));
                }
                for (String col : toasted) st.execute("ALTER TABLE pgbackfill_bench_cost ALTER COLUMN " + col + " SET STORAGE EXTERNAL");
            }
            st.execute("CHECKPOINT");
            Cost k = measure(c, what, () -> {
                try (InputStream in = new BufferedInputStream(Files.newInputStream(rows), 1 << 20)) {
                    cm.copyIn("COPY pgbackfill_bench_cost FROM STDIN (FORMAT binary)", in);
                }
            });
            if (drop) st.execute("DROP TABLE pgbackfill_bench_cost");
            return k;
        }
    }

    private static boolean setCompression(Statement st, String method) {
        try {
            st.execute("SET default_toast_compression = " + method);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    interface Statement0 {
        void run() throws Exception;
    }

    /** The backend's CPU and the wall time of {@code work}, run on {@code c}'s backend. */
    private static Cost measure(Connection c, String what, Statement0 work) throws Exception {
        long pid = c.unwrap(PGConnection.class).getBackendPID();
        double cpu0 = CpuMeter.processSeconds(pid);
        long t0 = System.nanoTime();
        work.run();
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = CpuMeter.processSeconds(pid) - cpu0;
        System.out.printf(Locale.ROOT, "  %-70s %6.2f s CPU, %6.2f s%n", what, cpu, wall);
        return new Cost(what, cpu0 < 0 ? -1 : cpu, wall);
    }
}
