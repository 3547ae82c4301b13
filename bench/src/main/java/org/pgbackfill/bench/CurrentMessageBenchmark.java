package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.GeneratorOptions;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The second job, {@code 9a1b2c3d4e5f} ({@code chat.current_message_id}), end to end against a real
 * PostgreSQL, next to its limits and to upstream's algorithm, all on one server in one run:
 * <pre>
 * mvn -B -DskipTests package
 * java -cp bench/target/pgbackfill-bench.jar org.pgbackfill.bench.CurrentMessageBenchmark \
 *   --database-url postgresql://postgres@127.0.0.1:5432/postgres --size-mb 1600 --workers 1,2,4
 * </pre>
 * <ol>
 * <li>A template database at revision 856c5b02fb54 seeded once ({@link BenchDatabases#atCurrentMessageRevision}:
 *     what {@code pgbackfill seed --revision 856c5b02fb54} makes) and kept for later runs with the same options.</li>
 * <li>{@code pgbackfill run --job current_message_id} (the command-line jar, in its own JVM with {@code --max-heap})
 *     on a fresh copy per worker count: phases, WAL and heap from its report, peak RSS from /proc, client and
 *     server CPU; every chat's value afterwards, the same for every worker count.</li>
 * <li>The limits ({@link Limits}): reading the documents out ({@code COPY (SELECT id, chat FROM chat) TO STDOUT});
 *     the UPDATE of every chat the job changes, set-based, logged, on a fresh copy
 *     ({@link Limits#updateEveryChat}); and, shown but not summed, reading chat_message's four columns.</li>
 * <li>Upstream's algorithm on a fresh copy, twice: as upstream runs it, in Python ({@link PythonCurrentMessageBaseline}),
 *     and re-created in Java ({@link CurrentMessageBaseline}); every chat's value compared with pgbackfill's.</li>
 * <li>Memory: pgbackfill on templates of other sizes with the same heap limit.</li>
 * <li>Prints the tables and whether each target of issue #16 is met.</li>
 * </ol>
 * Templates are named {@code <prefix>cm_<size>mb} and scratch copies {@code <prefix>run_*}; drop the templates when done.
 * The generated chats carry no edge cases (as in {@link EndToEndBenchmark}): upstream's algorithm aborts on some of them.
 */
public final class CurrentMessageBenchmark {
    public static void main(String[] args) throws Exception {
        BenchOptions.main(args, new Options(), Options.USAGE, o -> new CurrentMessageBenchmark(o).run(System.out));
    }

    static final String REVISION = "856c5b02fb54";
    static final String DOCUMENTS_SQL = "COPY (SELECT id, chat FROM chat) TO STDOUT";
    static final String ROWS_SQL = "COPY (SELECT chat_id, id, parent_id, created_at FROM chat_message) TO STDOUT";

    private final Options o;

    CurrentMessageBenchmark(Options o) { this.o = o; }

    /** One pgbackfill run: its row, every chat's value afterwards, and the chats it rejected. */
    private record Run(SpeedRow row, Map<String, String> values, long rejected, long chats) { }

    int run(PrintStream out) throws Exception {
        PgbackfillProcess pgbackfill = o.pgbackfill();
        // each variant is the same run in a JVM with more options (a JIT or GC to compare), measured in this same run
        Map<String, PgbackfillProcess> variants = o.variantProcesses();
        List<SpeedRow> rows = new ArrayList<>();
        List<String[]> memory = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        BenchDatabases.Template t;
        double readDocs, readRows;
        Limits.Update update;
        CurrentMessageBaseline.Result upstream = null;
        PythonCurrentMessageBaseline.Result python = null;
        long messageRows;
        Map<String, Run> byWorkers = new HashMap<>();
        int mismatches = -1;
        try (BenchDatabases dbs = new BenchDatabases(o.url, o.reseed, o.prefix); Connection admin = BenchDatabases.connect(o.url)) {
            Scenarios scenarios = new Scenarios(dbs, admin, out);
            t = template(dbs, o.sizeMb, out);
            try (Connection c = BenchDatabases.connect(dbs.url(t.name()))) {
                messageRows = Long.parseLong(BenchDatabases.one(c, "SELECT count(*) FROM chat_message"));
            }
            out.printf(Locale.ROOT, "dataset %s: %d chats, %.1f MB of documents, largest %.1f MB; %d chat_message rows%n",
                t.name(), t.chats(), t.documentBytes() / 1e6, t.largestDocumentBytes() / 1e6, messageRows);

            Map<String, String> values = null;
            for (int workers : o.workers) {
                Run r = pgbackfill(scenarios, pgbackfill, t, workers, "w" + workers, out);
                rows.add(r.row());
                byWorkers.put(t.name() + "/" + workers, r);
                if (values == null) {
                    values = r.values();
                } else {
                    int d = differences(values, r.values(), "pgbackfill, " + o.workers.get(0) + " workers", r.row().name(), out);
                    if (d > 0) notes.add(d + " chats differ between " + o.workers.get(0) + " and " + workers + " workers");
                }
            }
            for (Map.Entry<String, PgbackfillProcess> v : variants.entrySet()) {
                int workers = o.workers.get(0);
                Run r = pgbackfill(scenarios, v.getValue(), t, workers, "v_" + rows.size(), out);
                SpeedRow named = r.row().named(SpeedRow.pgbackfillName(workers) + ", JVM " + v.getKey());
                rows.add(named);
                int d = differences(values, r.values(), "pgbackfill", named.name(), out);
                if (d > 0) notes.add(d + " chats differ between pgbackfill and " + named.name());
            }

            out.println("limits: reading the documents out, reading chat_message's rows ...");
            try (Connection c = BenchDatabases.connect(dbs.url(t.name()))) {
                readDocs = Limits.read(c, DOCUMENTS_SQL, o.limitRepeats + 1);
                readRows = Limits.read(c, ROWS_SQL, o.limitRepeats + 1);
            }
            out.printf(Locale.ROOT, "  documents %.2f s, rows %.2f s%n", readDocs, readRows);
            out.println("limits: the UPDATE of every chat the job changes, on a fresh copy ...");
            update = null;
            for (int i = 0; i < o.limitRepeats; i++) {
                Map<String, String> all = values;
                Limits.Update u = scenarios.onCopy(t, "limit_update", copy -> {
                    try (Connection c = BenchDatabases.connect(copy)) {
                        return Limits.updateEveryChat(c, all);
                    }
                });
                if (update == null || u.seconds() < update.seconds()) update = u;
            }
            out.printf(Locale.ROOT, "  %.2f s, %d chats, WAL %.0f MB, %d HOT%n", update.seconds(), update.rows(), update.walBytes() / 1e6,
                update.hotRows());

            if (o.baseline) {
                Map<String, String> ours = values;
                Map<String, String> theirs = new HashMap<>();
                Scenarios.InProcess<CurrentMessageBaseline.Result> m = scenarios.onCopy(t, "baseline_upstream", copy -> {
                    out.println("baseline: upstream's algorithm (one connection, fetches of 150, two lookups and the UPDATEs per fetch, "
                        + "one transaction) ...");
                    return scenarios.inProcess(copy, c -> CurrentMessageBaseline.run(c, out), c -> {
                        c.setAutoCommit(true);
                        theirs.putAll(values(c));
                        return null;
                    });
                });
                upstream = m.value();
                out.println("  " + upstream);
                rows.add(new SpeedRow("upstream's algorithm (Java, Jackson tree)", upstream.totalSeconds() - upstream.commitSeconds(),
                    0, upstream.commitSeconds(), upstream.totalSeconds(), m.walBytes(), -1, -1, -1, m.serverCpu(), m.clientCpu()));
                mismatches = differences(ours, theirs, "pgbackfill", "upstream's algorithm", out);
                python = python(scenarios, t, ours, rows, notes, out);
            }

            for (long size : o.memorySizes) {
                BenchDatabases.Template m = size == o.sizeMb ? t : template(dbs, size, out);
                Run r = byWorkers.get(m.name() + "/" + o.memoryWorkers);
                if (r == null) r = pgbackfill(scenarios, pgbackfill, m, o.memoryWorkers, "memory", out);
                memory.add(Tables.memoryRow(m, m.chats(), r.row().total(), r.row().heapBytes(), r.row().liveHeapBytes(),
                    r.row().rssBytes()));
            }
            for (Run r : byWorkers.values()) {
                if (r.rejected() > 0) notes.add(r.row().name() + ": " + r.rejected() + " chats rejected");
            }
        }
        printTables(out, t, messageRows, readDocs, readRows, update, rows, upstream, python, mismatches, memory, notes);
        return 0;
    }

    /**
     * {@link PythonCurrentMessageBaseline} on a fresh copy, its row added and its values compared with {@code ours};
     * null (and a note) when the interpreter cannot run it.
     */
    private PythonCurrentMessageBaseline.Result python(Scenarios scenarios, BenchDatabases.Template t, Map<String, String> ours,
                                                       List<SpeedRow> rows, List<String> notes, PrintStream out) throws Exception {
        String why = PythonCurrentMessageBaseline.unavailable(o.python);
        if (why != null) {
            notes.add("upstream's algorithm in Python skipped: " + why);
            return null;
        }
        Map<String, String> theirs = new HashMap<>();
        Scenarios.Measured<PythonCurrentMessageBaseline.Result> m = scenarios.onCopy(t, "baseline_python", copy -> {
            out.println("baseline: upstream's algorithm in Python (" + o.python + ", psycopg2, json.loads) ...");
            Scenarios.Measured<PythonCurrentMessageBaseline.Result> r = scenarios.measured(x -> PythonCurrentMessageBaseline.run(o.python, copy));
            try (Connection c = BenchDatabases.connect(copy)) {
                theirs.putAll(values(c));
            }
            return r;
        });
        PythonCurrentMessageBaseline.Result p = m.value();
        out.println("  " + p);
        rows.add(new SpeedRow("upstream's algorithm (Python: psycopg2, json.loads)", p.totalSeconds() - p.commitSeconds(), 0,
            p.commitSeconds(), p.totalSeconds(), p.walBytes(), -1, -1, -1, m.serverCpu(), p.cpuSeconds()));
        int d = differences(ours, theirs, "pgbackfill", "upstream's algorithm in Python", out);
        if (d > 0) notes.add(d + " chats differ between pgbackfill and upstream's algorithm in Python");
        return p;
    }

    private BenchDatabases.Template template(BenchDatabases dbs, long sizeMb, PrintStream out) throws SQLException {
        return dbs.atCurrentMessageRevision(o.prefix + "cm_" + sizeMb + "mb", generatorOptions(sizeMb), fingerprint(sizeMb),
            o.seedConnections, out);
    }

    /** {@code pgbackfill run --job current_message_id} on a fresh copy of {@code t}; the copy is dropped afterwards. */
    private Run pgbackfill(Scenarios scenarios, PgbackfillProcess pgbackfill, BenchDatabases.Template t, int workers,
                           String copyName, PrintStream out) throws Exception {
        return scenarios.onCopy(t, copyName, copy -> pgbackfill(scenarios, pgbackfill, t, workers, copy, out));
    }

    private Run pgbackfill(Scenarios scenarios, PgbackfillProcess pgbackfill, BenchDatabases.Template t, int workers,
                           DatabaseUrl copy, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "pgbackfill run --job current_message_id --workers %d on %s (java -Xmx%s -jar %s) ...%n", workers, t.name(),
            o.maxHeap, o.cliJar);
        Scenarios.Measured<PgbackfillProcess.Result> m = scenarios.measured(x -> pgbackfill.exec(copy, "run", "--job", "current_message_id",
            "--workers", String.valueOf(workers), "--now-epoch", String.valueOf(o.nowEpoch)));
        PgbackfillProcess.Result r = m.value();
        SpeedRow row = new SpeedRow(SpeedRow.pgbackfillName(workers), r.phaseSeconds("check") + r.phaseSeconds("plan") + r.phaseSeconds("load"),
            r.phaseSeconds("build"), r.phaseSeconds("settle") + r.phaseSeconds("stamp"), r.totalSeconds(), r.walBytes(), r.peakHeapBytes(),
            r.peakHeapAfterGcBytes(), r.peakRssBytes(), m.serverCpu(), r.cpuSeconds());
        Map<String, String> values;
        long rejected;
        try (Connection c = BenchDatabases.connect(copy)) {
            values = values(c);
            rejected = Long.parseLong(BenchDatabases.one(c, "SELECT count(*) FROM pgbackfill.rejected_chat"));
        }
        out.printf(Locale.ROOT, "  %.2f s (load %.2f, merge %.2f), %d values written, %d rejected, WAL %.0f MB, peak heap %.0f MB "
                + "(after GC %.0f), peak RSS %.0f MB%n", r.totalSeconds(), row.load(), row.middle(), r.rows(), rejected, r.walBytes() / 1e6,
            r.peakHeapBytes() / 1e6, r.peakHeapAfterGcBytes() / 1e6, r.peakRssBytes() / 1e6);
        return new Run(row, values, rejected, values.size());
    }

    /** Every chat's current_message_id (null kept). */
    static Map<String, String> values(Connection c) throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, current_message_id FROM chat")) {
            while (rs.next()) m.put(rs.getString(1), rs.getString(2));
        }
        return m;
    }

    /** Chats whose values differ (or that one side lacks), the first few printed. */
    static int differences(Map<String, String> a, Map<String, String> b, String aName, String bName, PrintStream out) {
        TreeSet<String> ids = new TreeSet<>(a.keySet());
        ids.addAll(b.keySet());
        int n = 0;
        for (String id : ids) {
            String x = a.get(id), y = b.get(id);
            boolean same = a.containsKey(id) && b.containsKey(id) && java.util.Objects.equals(x, y);
            if (!same) {
                if (n < 10) out.printf(Locale.ROOT, "  chat %s: %s %s, %s %s%n", id, aName, a.containsKey(id) ? x : "(no chat)", bName,
                    b.containsKey(id) ? y : "(no chat)");
                n++;
            }
        }
        out.printf(Locale.ROOT, "  values compared: %d chats, %d differ (%s vs %s)%n", ids.size(), n, aName, bName);
        return n;
    }

    private void printTables(PrintStream out, BenchDatabases.Template t, long messageRows, double readDocs, double readRows,
                             Limits.Update update, List<SpeedRow> rows, CurrentMessageBaseline.Result upstream,
                             PythonCurrentMessageBaseline.Result python, int mismatches,
                             List<String[]> memory, List<String> notes) {
        double docMb = t.documentBytes() / 1e6;
        double sum = readDocs + update.seconds();
        int cores = Runtime.getRuntime().availableProcessors();
        out.println();
        out.printf(Locale.ROOT, "## current_message_id (9a1b2c3d4e5f): %d chats, %.0f MB of documents, %d chat_message rows; %d-core machine; "
            + "pgbackfill runs with -Xmx%s%n", t.chats(), docMb, messageRows, cores, o.maxHeap);
        out.println();
        String header = "| scenario | load s | merge s | other s | total s | MB/s | WAL MB | peak heap MB (after GC) | peak RSS MB "
            + "| server CPU s | client CPU s | cores busy | × limits | × faster than upstream |";
        out.println(header);
        out.println(Tables.separator(header));
        String blank = " | | | | | | | |";
        out.printf(Locale.ROOT, "| limit: reading the documents out (COPY (SELECT id, chat FROM chat) TO STDOUT) | %.2f | | | %.2f | %.0f |%s%n",
            readDocs, readDocs, docMb / readDocs, blank);
        out.printf(Locale.ROOT, "| limit: the UPDATE of the %d chats that change, one statement, logged | | %.2f | | %.2f | | %.0f |%s%n",
            update.rows(), update.seconds(), update.seconds(), update.walBytes() / 1e6, " | | | | | |");
        out.printf(Locale.ROOT, "| **limits, sum** | | | | **%.2f** | %.0f | | | | | | | 1.00 | |%n", sum, docMb / sum);
        out.printf(Locale.ROOT, "| (not summed) reading chat_message's id, chat_id, parent_id, created_at | %.2f | | | %.2f | |%s%n",
            readRows, readRows, blank);
        // the ratio is to upstream as it runs (Python) when that was measured, else to its re-creation in Java
        Double a = python != null ? Double.valueOf(python.totalSeconds()) : upstream == null ? null : upstream.totalSeconds();
        for (SpeedRow r : rows) out.println(r.cells(docMb, cores, sum) + " | " + r.fasterThan(a) + " |");
        if (python != null) {
            out.println();
            out.println(python);
        }
        if (upstream != null) {
            out.println();
            out.printf(Locale.ROOT, "upstream's algorithm, where its time went (client clock): fetching %.2f s, parsing %.2f s, lookups %.2f s, "
                + "UPDATEs %.2f s, commit %.2f s; %d chats updated%n", upstream.fetchSeconds(), upstream.parseSeconds(), upstream.lookupSeconds(),
                upstream.updateSeconds(), upstream.commitSeconds(), upstream.updated());
        }
        if (!memory.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "## Memory: pgbackfill run --job current_message_id --workers %d, -Xmx%s%n%n", o.memoryWorkers, o.maxHeap);
            Tables.print(out, "| dataset | MB of documents | largest document MB | chats | total s | peak heap MB | peak heap after GC MB "
                + "| peak RSS MB |", memory);
        }
        out.println();
        double best = SpeedRow.pgbackfill(rows).stream().mapToDouble(SpeedRow::total).min().orElse(Double.NaN);
        out.println("## Targets (best pgbackfill run)");
        out.println();
        Tables.target(out, "end to end within 1.5× the sum of its limits", best / sum, "×", best <= 1.5 * sum);
        if (a != null) {
            Tables.target(out, "at least 5× faster than upstream's algorithm" + (python != null ? " (Python, as upstream runs it)" : " (in Java)"),
                a / best, "×", a / best >= 5);
        }
        if (python != null && upstream != null) {
            out.printf(Locale.ROOT, "- (for comparison) faster than upstream's algorithm re-created in Java with Jackson: %.2f ×%n",
                upstream.totalSeconds() / best);
        }
        if (mismatches >= 0) Tables.target(out, "upstream's algorithm gives pgbackfill's value for every chat", mismatches, "chats differ", mismatches == 0);
        if (memory.size() >= 2) {
            double small = Double.parseDouble(memory.get(0)[6]), large = Double.parseDouble(memory.get(memory.size() - 1)[6]);
            Tables.target(out, "memory flat: peak heap after GC on the largest dataset within 1.25× (or 32 MB of) the smallest's", large / small,
                "×", large <= Math.max(1.25 * small, small + 32));
        }
        for (String n : notes) out.println("- note: " + n);
    }

    private GeneratorOptions generatorOptions(long sizeMb) {
        return GeneratorOptions.builder().seed(o.seed).chats(Long.MAX_VALUE).targetBytes(sizeMb * 1_000_000L)
            .meanDocumentBytes(o.meanKb * 1024).sizeSigma(o.sigma).edgeCaseShare(0).incompressibleShare(o.incompressibleShare).build();
    }

    private String fingerprint(long sizeMb) {
        return String.format(Locale.ROOT, "pgbackfill-bench %s v%s seed=%d size=%dMB mean=%dKB sigma=%s edge=0 incompressible=%s", REVISION,
            BenchDatabases.GENERATOR_VERSION, o.seed, sizeMb, o.meanKb, o.sigma, o.incompressibleShare);
    }

    // ---------------------------------------------------------------- options ---------------

    /** {@link BenchOptions} and this benchmark's own: --no-baseline, --python, --jvm-option. */
    static final class Options extends BenchOptions {
        static final String USAGE = """
            usage: CurrentMessageBenchmark --database-url URL [options]
              --database-url URL        a database on the server to use for CREATE/DROP DATABASE (e.g. .../postgres)
              --size-mb N               MB of documents to seed (default 1600)
              --workers 1,2,4           worker counts to run (default 1,2,4)
              --no-baseline             skip upstream's algorithm (both re-creations)
              --python PATH             the Python with psycopg2 that runs upstream's algorithm as upstream does (default python3)
              --cli-jar PATH            the pgbackfill jar (default cli/target/pgbackfill.jar)
              --max-heap SIZE           -Xmx of the pgbackfill runs (default 512m)
              --jvm-option OPT          one more option for the pgbackfill JVM (repeatable; e.g. -XX:StartFlightRecording=…)
              --jvm-variant NAME=OPTS   one more pgbackfill run (the first worker count) with these JVM options too, in the same
                                        run (repeatable; e.g. c1=-XX:TieredStopAtLevel=1 serial=-XX:+UseSerialGC)
              --memory-sizes MB,MB      datasets for the memory table (default 500,SIZE; none to skip)
              --memory-workers N        workers of the memory runs (default 2)
              --prefix P                database names start with P (default pgbackfill_bench_)
              --seed N                  generator seed (default 42)
              --mean-kb N               mean document size in KiB (default 64)
              --sigma X                 log-normal sigma of document sizes (default 2.0)
              --incompressible-share X  share of base64 bytes (default 0.1)
              --seed-connections N      parallel COPY streams when seeding (default 2)
              --limit-repeats N         UPDATE limit measurements, best kept, each on a fresh copy (default 1; reads: one more)
              --now-epoch N             the backfill's fixed now (default 1750086400)
              --reseed                  seed the templates again even if they match""";

        boolean baseline = true;
        String python = "python3";

        Options() { super(1600); }

        static Options parse(String[] args) { return BenchOptions.parse(new Options(), args); }

        @Override
        boolean flag(String a) {
            if (!a.equals("--no-baseline")) return false;
            baseline = false;
            return true;
        }

        @Override
        boolean option(String a, String v) {
            if (a.equals("--python")) {
                python = v;
                return true;
            }
            return false;
        }

        @Override
        void check() {
            if (memorySizes == null) memorySizes = sizeMb == 500 ? List.of(500L) : List.of(500L, sizeMb);
        }
    }
}
