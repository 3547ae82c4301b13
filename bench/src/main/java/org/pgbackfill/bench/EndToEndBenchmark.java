package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.EdgeCase;
import org.pgbackfill.seed.GeneratorOptions;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The whole backfill against a real PostgreSQL, next to what the machine can do and what users
 * would otherwise run, all on one server in one run:
 * <pre>
 * mvn -B -DskipTests package
 * java -cp bench/target/pgbackfill-bench.jar org.pgbackfill.bench.EndToEndBenchmark \
 *   --database-url postgresql://postgres@127.0.0.1:5432/postgres --size-mb 1600 --workers 1,2,4
 * </pre>
 * <ol>
 * <li>Seeds a template database of generated chats once (skewed sizes, incompressible base64),
 *     kept for later runs with the same options ({@link BenchDatabases}).</li>
 * <li>Runs {@code pgbackfill run} (the command-line jar, in its own JVM with {@code --max-heap})
 *     on a fresh copy per worker count: its report gives the phases, WAL and heap; /proc gives
 *     its peak RSS.</li>
 * <li>Measures the limits ({@link Limits}): reading the documents, writing the final rows into
 *     a fresh logged table, building the eight indexes.</li>
 * <li>Runs the baselines on fresh copies: (a) {@link UpstreamBaseline}, upstream's algorithm in
 *     Java; (b) {@link JsonbBaseline}, one server-side INSERT … SELECT over jsonb_each.</li>
 * <li>Memory: pgbackfill on templates of other sizes and on one holding a single huge document,
 *     with the same heap limit: the peaks must not grow with the data.</li>
 * <li>Prints the tables and whether each target of issue #6 is met.</li>
 * </ol>
 */
public final class EndToEndBenchmark {
    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
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

    EndToEndBenchmark(Options o) { this.o = o; }

    /** One row of the speed table. */
    private record Row(String name, double load, double merge, double build, double total, long walBytes, long heapBytes,
                       long liveHeapBytes, long rssBytes, double serverCpu, double clientCpu) { }

    /** Server CPU seconds since {@code before} (backends that exited), once the scenario's connections are closed; -1 if unknown. */
    private static double serverCpuSince(CpuMeter meter, double before) throws InterruptedException {
        if (meter == null) return -1;
        Thread.sleep(300);   // the backends of the closed connections exit and are reaped
        return meter.serverSeconds() - before;
    }

    int run(PrintStream out) throws Exception {
        PgbackfillProcess pgbackfill = new PgbackfillProcess(o.cliJar, o.maxHeap);
        List<Row> rows = new ArrayList<>();
        Map<String, Double> totals = new LinkedHashMap<>();
        Limits.Figures limits;
        BenchDatabases.Template t;
        List<String[]> memory = new ArrayList<>();
        List<String[]> onlineRows = new ArrayList<>();
        try (BenchDatabases dbs = new BenchDatabases(o.url, o.reseed); Connection admin = BenchDatabases.connect(o.url)) {
            CpuMeter cpu = CpuMeter.server(admin);
            if (cpu == null) out.println("(the server's CPU time cannot be read from here: no CPU columns)");
            t = dbs.generated(BenchDatabases.PREFIX + o.sizeMb + "mb", generatorOptions(o.sizeMb), fingerprint(o.sizeMb), o.seedConnections, out);
            out.printf(Locale.ROOT, "dataset %s: %d chats, %.1f MB of documents (%.1f MB read by the backfill's predicate), largest %.1f MB%n",
                t.name(), t.chats(), t.documentBytes() / 1e6, t.readBytes() / 1e6, t.largestDocumentBytes() / 1e6);

            double[] writeAndIndex = null;
            for (int workers : o.workers) {
                DatabaseUrl copy = dbs.copy(t, "w" + workers);
                out.printf(Locale.ROOT, "pgbackfill run --workers %d (java -Xmx%s -jar %s) ...%n", workers, o.maxHeap, o.cliJar);
                double cpu0 = cpu == null ? 0 : cpu.serverSeconds();
                PgbackfillProcess.Result r = pgbackfill.run(copy, workers, o.nowEpoch);
                double serverCpu = serverCpuSince(cpu, cpu0);
                String name = "pgbackfill, " + workers + " worker" + (workers == 1 ? "" : "s");
                rows.add(new Row(name, r.phaseSeconds("check") + r.phaseSeconds("plan") + r.phaseSeconds("load"), r.phaseSeconds("settle"),
                    r.phaseSeconds("build") + r.phaseSeconds("stamp"), r.totalSeconds(), r.walBytes(), r.peakHeapBytes(),
                    r.peakHeapAfterGcBytes(), r.peakRssBytes(), serverCpu, r.cpuSeconds()));
                totals.put(name, r.totalSeconds());
                out.printf(Locale.ROOT, "  %.2f s, %d rows, WAL %.0f MB, peak heap %.0f MB, peak RSS %.0f MB%n", r.totalSeconds(), r.rows(),
                    r.walBytes() / 1e6, r.peakHeapBytes() / 1e6, r.peakRssBytes() / 1e6);
                if (writeAndIndex == null) {
                    out.println("limits: writing the final rows into a fresh logged table, building the eight indexes ...");
                    try (Connection c = BenchDatabases.connect(copy)) {
                        writeAndIndex = Limits.writeAndIndex(c, o.limitRepeats, "256MB", toastCompression(c));
                    }
                }
                dbs.release(copy);
            }
            out.println("limits: reading the documents ...");
            double read;
            try (Connection c = BenchDatabases.connect(dbs.url(t.name()))) {
                read = Limits.read(c, o.limitRepeats + 1);
            }
            limits = new Limits.Figures(read, writeAndIndex[0], writeAndIndex[1], (long) writeAndIndex[2]);

            for (String baseline : o.baselines) {
                DatabaseUrl copy = dbs.copy(t, "baseline_" + baseline);
                out.println("baseline (" + baseline + ") ...");
                double cpu0 = cpu == null ? 0 : cpu.serverSeconds();
                double client0 = CpuMeter.processSeconds(ProcessHandle.current().pid());
                BaselineResult b;
                long wal;
                try (Connection c = BenchDatabases.connect(copy)) {
                    long wal0 = BenchDatabases.walPosition(c);
                    b = baseline.equals("a") ? UpstreamBaseline.run(c, o.nowEpoch, out) : JsonbBaseline.run(c, o.nowEpoch, out);
                    wal = BenchDatabases.walPosition(c) - wal0;
                }
                double client = CpuMeter.processSeconds(ProcessHandle.current().pid()) - client0;
                double serverCpu = serverCpuSince(cpu, cpu0);
                out.println("  " + b);
                String name = baseline.equals("a") ? "baseline (a) upstream's algorithm" : "baseline (b) INSERT … SELECT jsonb_each";
                rows.add(new Row(name, b.loadSeconds(), 0, b.indexSeconds() + b.foreignKeySeconds(), b.totalSeconds(), wal, -1, -1, -1,
                    serverCpu, client));
                totals.put(baseline, b.totalSeconds());
                dbs.release(copy);
            }

            List<BenchDatabases.Template> memoryTemplates = new ArrayList<>();
            for (long size : o.memorySizes) {
                memoryTemplates.add(size == o.sizeMb ? t
                    : dbs.generated(BenchDatabases.PREFIX + size + "mb", generatorOptions(size), fingerprint(size), o.seedConnections, out));
            }
            if (o.hugeDocumentMb > 0) {
                memoryTemplates.add(dbs.hugeDocument(BenchDatabases.PREFIX + "huge_" + o.hugeDocumentMb + "mb", o.hugeDocumentMb, out));
            }
            if (o.onlineShare > 0) {
                double expected = totals.values().stream().mapToDouble(Double::doubleValue).min().orElse(20);
                List<BenchDatabases.Template> onlineTemplates = new ArrayList<>(List.of(t));
                memoryTemplates.stream().filter(m -> m.name().endsWith("00mb") && !m.name().contains("huge")).limit(1)
                    .forEach(onlineTemplates::add);
                for (BenchDatabases.Template m : onlineTemplates) {
                    DatabaseUrl copy = dbs.copy(m, "online");
                    OnlineScenario.Result r = OnlineScenario.run(pgbackfill, copy, o.memoryWorkers, o.nowEpoch, o.onlineShare,
                        expected * m.readBytes() / Math.max(1, t.readBytes()), out);
                    onlineRows.add(new String[] {m.name(), mb(m.documentBytes()), String.format(Locale.ROOT, "%.1f", r.onlineSeconds()),
                        String.valueOf(r.changes()), String.format(Locale.ROOT, "%.2f", r.finishSeconds()),
                        String.format(Locale.ROOT, "%.2f", r.finishWallSeconds()), String.valueOf(r.rows())});
                    dbs.release(copy);
                }
            }
            for (BenchDatabases.Template m : memoryTemplates) {
                DatabaseUrl copy = dbs.copy(m, "memory");
                out.printf(Locale.ROOT, "memory: pgbackfill run --workers %d on %s ...%n", o.memoryWorkers, m.name());
                PgbackfillProcess.Result r = pgbackfill.run(copy, o.memoryWorkers, o.nowEpoch);
                memory.add(new String[] {m.name(), mb(m.documentBytes()), mb(m.largestDocumentBytes()), String.valueOf(r.rows()),
                    String.format(Locale.ROOT, "%.1f", r.totalSeconds()), mb(r.peakHeapBytes()), mb(r.peakHeapAfterGcBytes()),
                    mb(r.peakRssBytes())});
                dbs.release(copy);
            }
        }
        printTables(out, t, limits, rows, totals, memory, onlineRows);
        return 0;
    }

    private static String toastCompression(Connection c) {
        try {
            BenchDatabases.exec(c, "SET default_toast_compression = lz4");
            return "lz4";
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    private static String seconds(double s) { return s < 0 ? "" : String.format(Locale.ROOT, "%.1f", s); }

    private static String mb(long bytes) { return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f", bytes / 1e6); }

    private void printTables(PrintStream out, BenchDatabases.Template t, Limits.Figures limits, List<Row> rows,
                             Map<String, Double> totals, List<String[]> memory, List<String[]> onlineRows) {
        double docMb = t.readBytes() / 1e6;
        out.println();
        out.printf(Locale.ROOT, "## %d chats, %.0f MB of documents read; %d-core machine; pgbackfill runs with -Xmx%s%n", t.chats(), docMb,
            Runtime.getRuntime().availableProcessors(), o.maxHeap);
        out.println();
        int cores = Runtime.getRuntime().availableProcessors();
        out.println("| scenario | load s | merge s | build s | total s | MB/s | WAL MB | peak heap MB (after GC) | peak RSS MB "
            + "| server CPU s | client CPU s | cores busy | × limits | × faster than (a) | × faster than (b) |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        String blank = " | | | | | | | | | |";
        out.printf(Locale.ROOT, "| limit: read (COPY … TO STDOUT) | %.2f | | | %.2f | %.0f%s%n", limits.readSeconds(), limits.readSeconds(),
            docMb / limits.readSeconds(), blank);
        out.printf(Locale.ROOT, "| limit: write (binary COPY of the %.0f MB of final rows, logged) | %.2f | | | %.2f | %s%n",
            limits.rowBytes() / 1e6, limits.writeSeconds(), limits.writeSeconds(), blank);
        out.printf(Locale.ROOT, "| limit: the eight indexes, one after another | | | %.2f | %.2f | %s%n", limits.indexSeconds(),
            limits.indexSeconds(), blank);
        out.printf(Locale.ROOT, "| **limits, sum** | | | | **%.2f** | %.0f | | | | | | | 1.00 | | |%n", limits.sum(), docMb / limits.sum());
        Double a = totals.get("a"), b = totals.get("b");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %.2f | %s | %.2f | %.2f | %.0f | %s | %s | %s | %s | %s | %s | %.2f | %s | %s |%n", r.name, r.load,
                r.merge > 0 ? String.format(Locale.ROOT, "%.2f", r.merge) : "", r.build, r.total, docMb / r.total, mb(r.walBytes),
                r.heapBytes < 0 ? "-" : mb(r.heapBytes) + " (" + mb(r.liveHeapBytes) + ")", mb(r.rssBytes), seconds(r.serverCpu),
                seconds(r.clientCpu), r.serverCpu < 0 || r.clientCpu < 0 ? "" : String.format(Locale.ROOT, "%.2f of %d",
                    (r.serverCpu + r.clientCpu) / r.total, cores), r.total / limits.sum(),
                a == null ? "" : String.format(Locale.ROOT, "%.1f", a / r.total), b == null ? "" : String.format(Locale.ROOT, "%.1f", b / r.total));
        }
        if (!memory.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "## Memory: pgbackfill run --workers %d, -Xmx%s%n%n", o.memoryWorkers, o.maxHeap);
            out.println("| dataset | MB of documents | largest document MB | rows | total s | peak heap MB | peak heap after GC MB | peak RSS MB |");
            out.println("|---|---|---|---|---|---|---|---|");
            for (String[] m : memory) out.println("| " + String.join(" | ", m) + " |");
        }
        if (!onlineRows.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "## Online: run --online --workers %d while a writer adds a message to %.1f%% of the chats, then finish%n%n",
                o.memoryWorkers, o.onlineShare * 100);
            out.println("| dataset | MB of documents | run --online s | chats changed | finish s (the downtime) | finish wall s (JVM start included) | rows |");
            out.println("|---|---|---|---|---|---|---|");
            for (String[] r : onlineRows) out.println("| " + String.join(" | ", r) + " |");
        }
        out.println();
        double best = rows.stream().filter(r -> r.name.startsWith("pgbackfill")).mapToDouble(Row::total).min().orElse(Double.NaN);
        long heap = rows.stream().filter(r -> r.name.startsWith("pgbackfill")).mapToLong(Row::heapBytes).max().orElse(-1);
        double downtime = onlineRows.stream().mapToDouble(r -> Double.parseDouble(r[4])).max().orElse(-1);
        out.println("## Targets (best pgbackfill run)");
        out.println();
        target(out, "end to end within 1.5× the sum of the limits", best / limits.sum(), "×", best <= 1.5 * limits.sum());
        if (a != null) target(out, "at least 5× faster than baseline (a)", a / best, "×", a / best >= 5);
        if (b != null) target(out, "at least 2.5× faster than baseline (b)", b / best, "×", b / best >= 2.5);
        target(out, "peak heap under 512 MB", heap / 1e6, "MB", heap >= 0 && heap < 512e6);
        if (downtime >= 0) target(out, "online: finish (the downtime) under 10 s", downtime, "s", downtime < 10);
    }

    private static void target(PrintStream out, String what, double value, String unit, boolean met) {
        out.printf(Locale.ROOT, "- %s: %.2f %s — %s%n", what, value, unit, met ? "met" : "MISSED");
    }

    private GeneratorOptions generatorOptions(long sizeMb) {
        return GeneratorOptions.builder().seed(o.seed).chats(Long.MAX_VALUE).targetBytes(sizeMb * 1_000_000L)
            .meanDocumentBytes(o.meanKb * 1024).sizeSigma(o.sigma).edgeCaseShare(o.edgeShare).edgeCases(o.edgeCases())
            .incompressibleShare(o.incompressibleShare).build();
    }

    private String fingerprint(long sizeMb) {
        return String.format(Locale.ROOT, "pgbackfill-bench v%s seed=%d size=%dMB mean=%dKB sigma=%s edge=%s%s incompressible=%s",
            BenchDatabases.GENERATOR_VERSION, o.seed, sizeMb, o.meanKb, o.sigma, o.edgeShare,
            o.excluded.isEmpty() ? "" : " without " + o.excluded, o.incompressibleShare);
    }

    // ---------------------------------------------------------------- options ---------------

    static final class Options {
        static final String USAGE = """
            usage: EndToEndBenchmark --database-url URL [options]
              --database-url URL        a database on the server to use for CREATE/DROP DATABASE (e.g. .../postgres)
              --size-mb N               MB of documents to seed (default 1000)
              --workers 1,2,4           worker counts to run (default 1,2,4)
              --baselines a,b           baselines to run: a (upstream's algorithm), b (INSERT … SELECT), none (default a,b)
              --cli-jar PATH            the pgbackfill jar (default cli/target/pgbackfill.jar)
              --max-heap SIZE           -Xmx of the pgbackfill runs (default 512m)
              --memory-sizes MB,MB      datasets for the memory table (default 500,2000; none to skip)
              --huge-document-mb N      one more dataset holding a single document this big (default 100; 0 to skip)
              --memory-workers N        workers of the memory and online runs (default 2)
              --online-share X          share of chats the writer changes during run --online (default 0.01; 0 to skip)
              --seed N                  generator seed (default 42)
              --mean-kb N               mean document size in KiB (default 64)
              --sigma X                 log-normal sigma of document sizes (default 2.0)
              --edge-share X            share of edge-case chats (default 0)
              --exclude-edge-cases A,B  edge cases (EdgeCase names) not to generate, e.g. LONG_KEY
              --incompressible-share X  share of base64 bytes (default 0.1)
              --seed-connections N      parallel COPY streams when seeding (default 2)
              --limit-repeats N         write and index limit measurements, best kept (default 1; reads: one more)
              --now-epoch N             the backfill's fixed now (default 1750086400)
              --reseed                  seed the templates again even if they match""";

        DatabaseUrl url;
        long sizeMb = 1000;
        List<Integer> workers = List.of(1, 2, 4);
        List<String> baselines = List.of("a", "b");
        Path cliJar = Path.of("cli/target/pgbackfill.jar");
        String maxHeap = "512m";
        List<Long> memorySizes = List.of(500L, 2000L);
        int hugeDocumentMb = 100;
        int memoryWorkers = 2;
        double onlineShare = 0.01;
        long seed = 42;
        int meanKb = 64;
        double sigma = 2.0;
        double edgeShare = 0;
        double incompressibleShare = 0.1;
        int seedConnections = 2;
        int limitRepeats = 1;
        long nowEpoch = 1_750_086_400L;
        boolean reseed;
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
                    case "-h", "--help" -> throw new IllegalArgumentException("help");
                    default -> {
                        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                        String v = args[++i];
                        try {
                            switch (a) {
                                case "--database-url" -> o.url = DatabaseUrl.parse(v);
                                case "--size-mb" -> o.sizeMb = Long.parseLong(v);
                                case "--workers" -> o.workers = parseList(v);
                                case "--baselines" -> o.baselines = v.equals("none") ? List.of() : List.of(v.split(","));
                                case "--cli-jar" -> o.cliJar = Path.of(v);
                                case "--max-heap" -> o.maxHeap = v;
                                case "--memory-sizes" -> o.memorySizes = v.equals("none") ? List.of()
                                    : parseList(v).stream().map(Long::valueOf).toList();
                                case "--huge-document-mb" -> o.hugeDocumentMb = Integer.parseInt(v);
                                case "--memory-workers" -> o.memoryWorkers = Integer.parseInt(v);
                                case "--online-share" -> o.onlineShare = Double.parseDouble(v);
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
                                case "--limit-repeats" -> o.limitRepeats = Integer.parseInt(v);
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
            if (o.limitRepeats < 1 || o.seedConnections < 1 || o.memoryWorkers < 1) {
                throw new IllegalArgumentException("--limit-repeats, --seed-connections and --memory-workers must be at least 1");
            }
            for (String b : o.baselines) {
                if (!b.equals("a") && !b.equals("b")) throw new IllegalArgumentException("--baselines: a, b or none, got " + b);
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
                if (n < 1) throw new IllegalArgumentException("counts must be at least 1, got " + n);
                l.add(n);
            }
            if (l.isEmpty()) throw new IllegalArgumentException("no count given");
            return l;
        }
    }
}
