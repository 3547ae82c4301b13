package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.EdgeCase;
import org.pgbackfill.seed.GeneratorOptions;

import java.io.PrintStream;
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
        BenchOptions.main(args, new Options(), Options.USAGE, o -> new EndToEndBenchmark(o).run(System.out));
    }

    private final Options o;

    EndToEndBenchmark(Options o) { this.o = o; }

    int run(PrintStream out) throws Exception {
        PgbackfillProcess pgbackfill = o.pgbackfill();
        List<SpeedRow> rows = new ArrayList<>();
        Map<String, Double> totals = new LinkedHashMap<>();
        Limits.Figures limits;
        BenchDatabases.Template t;
        List<String[]> memory = new ArrayList<>();
        List<String[]> onlineRows = new ArrayList<>();
        try (BenchDatabases dbs = new BenchDatabases(o.url, o.reseed, o.prefix); Connection admin = BenchDatabases.connect(o.url)) {
            Scenarios scenarios = new Scenarios(dbs, admin, out);
            t = template(dbs, o.sizeMb, out);
            out.printf(Locale.ROOT, "dataset %s: %d chats, %.1f MB of documents (%.1f MB read by the backfill's predicate), largest %.1f MB%n",
                t.name(), t.chats(), t.documentBytes() / 1e6, t.readBytes() / 1e6, t.largestDocumentBytes() / 1e6);

            double[] writeAndIndex = null;
            List<Map.Entry<String, PgbackfillProcess>> runs = new ArrayList<>();
            for (int workers : o.workers) runs.add(Map.entry(SpeedRow.pgbackfillName(workers), pgbackfill));
            // each variant is the first worker count's run in a JVM with more options (a JIT or GC to compare)
            o.variantProcesses().forEach((variant, process) ->
                runs.add(Map.entry(SpeedRow.pgbackfillName(o.workers.get(0)) + ", JVM " + variant, process)));
            for (int i = 0; i < runs.size(); i++) {
                double[] measured = writeAndIndex;
                String name = runs.get(i).getKey();
                PgbackfillProcess process = runs.get(i).getValue();
                int workers = i < o.workers.size() ? o.workers.get(i) : o.workers.get(0);
                writeAndIndex = scenarios.onCopy(t, "w" + workers + "_" + i, copy -> {
                    out.printf(Locale.ROOT, "%s: pgbackfill run --workers %d (java -Xmx%s %s-jar %s) ...%n", name, workers, o.maxHeap,
                        process.jvmOptions().isEmpty() ? "" : String.join(" ", process.jvmOptions()) + " ", o.cliJar);
                    Scenarios.Measured<PgbackfillProcess.Result> m = scenarios.measured(x -> process.run(copy, workers, o.nowEpoch));
                    PgbackfillProcess.Result r = m.value();
                    rows.add(new SpeedRow(name, r.phaseSeconds("check") + r.phaseSeconds("plan") + r.phaseSeconds("load"),
                        r.phaseSeconds("settle"), r.phaseSeconds("build") + r.phaseSeconds("stamp"), r.totalSeconds(), r.walBytes(),
                        r.peakHeapBytes(), r.peakHeapAfterGcBytes(), r.peakRssBytes(), m.serverCpu(), r.cpuSeconds()));
                    totals.put(name, r.totalSeconds());
                    out.printf(Locale.ROOT, "  %.2f s, %d rows, WAL %.0f MB, peak heap %.0f MB, peak RSS %.0f MB%n", r.totalSeconds(), r.rows(),
                        r.walBytes() / 1e6, r.peakHeapBytes() / 1e6, r.peakRssBytes() / 1e6);
                    if (measured != null) return measured;
                    out.println("limits: writing the final rows into a fresh logged table, building the eight indexes ...");
                    try (Connection c = BenchDatabases.connect(copy)) {
                        return Limits.writeAndIndex(c, o.limitRepeats, "256MB", toastCompression(c));
                    }
                });
            }
            out.println("limits: reading the documents ...");
            double read;
            try (Connection c = BenchDatabases.connect(dbs.url(t.name()))) {
                read = Limits.read(c, o.limitRepeats + 1);
            }
            limits = new Limits.Figures(read, writeAndIndex[0], writeAndIndex[1], (long) writeAndIndex[2]);

            for (String baseline : o.baselines) {
                scenarios.onCopy(t, "baseline_" + baseline, copy -> {
                    out.println("baseline (" + baseline + ") ...");
                    Scenarios.InProcess<BaselineResult> m = scenarios.inProcess(copy, c -> baseline.equals("a")
                        ? UpstreamBaseline.run(c, o.nowEpoch, out) : JsonbBaseline.run(c, o.nowEpoch, out), c -> null);
                    BaselineResult b = m.value();
                    out.println("  " + b);
                    String name = baseline.equals("a") ? "baseline (a) upstream's algorithm" : "baseline (b) INSERT … SELECT jsonb_each";
                    rows.add(new SpeedRow(name, b.loadSeconds(), 0, b.indexSeconds() + b.foreignKeySeconds(), b.totalSeconds(), m.walBytes(),
                        -1, -1, -1, m.serverCpu(), m.clientCpu()));
                    totals.put(baseline, b.totalSeconds());
                    return null;
                });
            }

            List<BenchDatabases.Template> memoryTemplates = new ArrayList<>();
            for (long size : o.memorySizes) memoryTemplates.add(size == o.sizeMb ? t : template(dbs, size, out));
            if (o.hugeDocumentMb > 0) {
                memoryTemplates.add(dbs.hugeDocument(o.prefix + "huge_" + o.hugeDocumentMb + "mb", o.hugeDocumentMb, out));
            }
            if (o.onlineShare > 0) {
                double expected = totals.values().stream().mapToDouble(Double::doubleValue).min().orElse(20);
                List<BenchDatabases.Template> onlineTemplates = new ArrayList<>(List.of(t));
                memoryTemplates.stream().filter(m -> m.name().endsWith("00mb") && !m.name().contains("huge")).limit(1)
                    .forEach(onlineTemplates::add);
                for (BenchDatabases.Template m : onlineTemplates) {
                    OnlineScenario.Result r = scenarios.onCopy(m, "online", copy -> OnlineScenario.run(pgbackfill, copy, o.memoryWorkers,
                        o.nowEpoch, o.onlineShare, expected * m.readBytes() / Math.max(1, t.readBytes()), out));
                    onlineRows.add(new String[] {m.name(), Tables.mb(m.documentBytes()), String.format(Locale.ROOT, "%.1f", r.onlineSeconds()),
                        String.valueOf(r.changes()), String.format(Locale.ROOT, "%.2f", r.finishSeconds()),
                        String.format(Locale.ROOT, "%.2f", r.finishWallSeconds()), String.valueOf(r.rows())});
                }
            }
            for (BenchDatabases.Template m : memoryTemplates) {
                PgbackfillProcess.Result r = scenarios.onCopy(m, "memory", copy -> {
                    out.printf(Locale.ROOT, "memory: pgbackfill run --workers %d on %s ...%n", o.memoryWorkers, m.name());
                    return pgbackfill.run(copy, o.memoryWorkers, o.nowEpoch);
                });
                memory.add(Tables.memoryRow(m, r.rows(), r.totalSeconds(), r.peakHeapBytes(), r.peakHeapAfterGcBytes(), r.peakRssBytes()));
            }
        }
        printTables(out, t, limits, rows, totals, memory, onlineRows);
        return 0;
    }

    private BenchDatabases.Template template(BenchDatabases dbs, long sizeMb, PrintStream out) throws java.sql.SQLException {
        return template(dbs, o, sizeMb, out);
    }

    /** The generated template of {@code sizeMb} for these options (seeded unless one that matches is kept). */
    static BenchDatabases.Template template(BenchDatabases dbs, Options o, long sizeMb, PrintStream out) throws java.sql.SQLException {
        return dbs.generated(o.prefix + sizeMb + "mb", generatorOptions(o, sizeMb), fingerprint(o, sizeMb), o.seedConnections, out);
    }

    private static String toastCompression(Connection c) {
        try {
            BenchDatabases.exec(c, "SET default_toast_compression = lz4");
            return "lz4";
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    private void printTables(PrintStream out, BenchDatabases.Template t, Limits.Figures limits, List<SpeedRow> rows,
                             Map<String, Double> totals, List<String[]> memory, List<String[]> onlineRows) {
        double docMb = t.readBytes() / 1e6;
        out.println();
        out.printf(Locale.ROOT, "## %d chats, %.0f MB of documents read; %d-core machine; pgbackfill runs with -Xmx%s%n", t.chats(), docMb,
            Runtime.getRuntime().availableProcessors(), o.maxHeap);
        out.println();
        int cores = Runtime.getRuntime().availableProcessors();
        String header = "| scenario | load s | merge s | build s | total s | MB/s | WAL MB | peak heap MB (after GC) | peak RSS MB "
            + "| server CPU s | client CPU s | cores busy | × limits | × faster than (a) | × faster than (b) |";
        out.println(header);
        out.println(Tables.separator(header));
        String blank = " | | | | | | | | | |";
        out.printf(Locale.ROOT, "| limit: read (COPY … TO STDOUT) | %.2f | | | %.2f | %.0f%s%n", limits.readSeconds(), limits.readSeconds(),
            docMb / limits.readSeconds(), blank);
        out.printf(Locale.ROOT, "| limit: write (binary COPY of the %.0f MB of final rows, logged) | %.2f | | | %.2f | %s%n",
            limits.rowBytes() / 1e6, limits.writeSeconds(), limits.writeSeconds(), blank);
        out.printf(Locale.ROOT, "| limit: the eight indexes, one after another | | | %.2f | %.2f | %s%n", limits.indexSeconds(),
            limits.indexSeconds(), blank);
        out.printf(Locale.ROOT, "| **limits, sum** | | | | **%.2f** | %.0f | | | | | | | 1.00 | | |%n", limits.sum(), docMb / limits.sum());
        Double a = totals.get("a"), b = totals.get("b");
        for (SpeedRow r : rows) {
            out.println(r.cells(docMb, cores, limits.sum()) + " | " + r.fasterThan(a) + " | " + r.fasterThan(b) + " |");
        }
        if (!memory.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "## Memory: pgbackfill run --workers %d, -Xmx%s%n%n", o.memoryWorkers, o.maxHeap);
            Tables.print(out, "| dataset | MB of documents | largest document MB | rows | total s | peak heap MB | peak heap after GC MB "
                + "| peak RSS MB |", memory);
        }
        if (!onlineRows.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "## Online: run --online --workers %d while a writer adds a message to %.1f%% of the chats, then finish%n%n",
                o.memoryWorkers, o.onlineShare * 100);
            Tables.print(out, "| dataset | MB of documents | run --online s | chats changed | finish s (the downtime) "
                + "| finish wall s (JVM start included) | rows |", onlineRows);
        }
        out.println();
        double best = SpeedRow.pgbackfill(rows).stream().mapToDouble(SpeedRow::total).min().orElse(Double.NaN);
        long heap = SpeedRow.pgbackfill(rows).stream().mapToLong(SpeedRow::heapBytes).max().orElse(-1);
        double downtime = onlineRows.stream().mapToDouble(r -> Double.parseDouble(r[4])).max().orElse(-1);
        out.println("## Targets (best pgbackfill run)");
        out.println();
        Tables.target(out, "end to end within 1.5× the sum of the limits", best / limits.sum(), "×", best <= 1.5 * limits.sum());
        if (a != null) Tables.target(out, "at least 5× faster than baseline (a)", a / best, "×", a / best >= 5);
        if (b != null) Tables.target(out, "at least 2.5× faster than baseline (b)", b / best, "×", b / best >= 2.5);
        Tables.target(out, "peak heap under 512 MB", heap / 1e6, "MB", heap >= 0 && heap < 512e6);
        if (downtime >= 0) Tables.target(out, "online: finish (the downtime) under 10 s", downtime, "s", downtime < 10);
    }

    private static GeneratorOptions generatorOptions(Options o, long sizeMb) {
        return GeneratorOptions.builder().seed(o.seed).chats(Long.MAX_VALUE).targetBytes(sizeMb * 1_000_000L)
            .meanDocumentBytes(o.meanKb * 1024).sizeSigma(o.sigma).edgeCaseShare(o.edgeShare).edgeCases(o.edgeCases())
            .incompressibleShare(o.incompressibleShare).build();
    }

    private static String fingerprint(Options o, long sizeMb) {
        return String.format(Locale.ROOT, "pgbackfill-bench v%s seed=%d size=%dMB mean=%dKB sigma=%s edge=%s%s incompressible=%s",
            BenchDatabases.GENERATOR_VERSION, o.seed, sizeMb, o.meanKb, o.sigma, o.edgeShare,
            o.excluded.isEmpty() ? "" : " without " + o.excluded, o.incompressibleShare);
    }

    // ---------------------------------------------------------------- options ---------------

    /** {@link BenchOptions} and this benchmark's own: baselines, the huge document, the online scenario, edge cases. */
    static final class Options extends BenchOptions {
        static final String USAGE = """
            usage: EndToEndBenchmark --database-url URL [options]
              --database-url URL        a database on the server to use for CREATE/DROP DATABASE (e.g. .../postgres)
              --size-mb N               MB of documents to seed (default 1000)
              --workers 1,2,4           worker counts to run (default 1,2,4)
              --baselines a,b           baselines to run: a (upstream's algorithm), b (INSERT … SELECT), none (default a,b)
              --cli-jar PATH            the pgbackfill jar (default cli/target/pgbackfill.jar)
              --max-heap SIZE           -Xmx of the pgbackfill runs (default 512m)
              --jvm-option OPT          one more option for the pgbackfill JVM (repeatable; e.g. -XX:StartFlightRecording=…)
              --jvm-variant NAME=OPTS   one more pgbackfill run (the first worker count) with these JVM options too, in the same
                                        run (repeatable; e.g. c1=-XX:TieredStopAtLevel=1 serial=-XX:+UseSerialGC)
              --memory-sizes MB,MB      datasets for the memory table (default 500,2000; none to skip)
              --huge-document-mb N      one more dataset holding a single document this big (default 100; 0 to skip)
              --memory-workers N        workers of the memory and online runs (default 2)
              --online-share X          share of chats the writer changes during run --online (default 0.01; 0 to skip)
              --prefix P                database names start with P (default pgbackfill_bench_)
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

        List<String> baselines = List.of("a", "b");
        int hugeDocumentMb = 100;
        double onlineShare = 0.01;
        double edgeShare = 0;
        Set<EdgeCase> excluded = EnumSet.noneOf(EdgeCase.class);

        Options() {
            super(1000);
            memorySizes = List.of(500L, 2000L);
        }

        Set<EdgeCase> edgeCases() {
            Set<EdgeCase> s = EnumSet.copyOf(EdgeCase.defaults());
            s.removeAll(excluded);
            return s;
        }

        static Options parse(String[] args) { return BenchOptions.parse(new Options(), args); }

        @Override
        boolean option(String a, String v) {
            switch (a) {
                case "--baselines" -> baselines = v.equals("none") ? List.of() : List.of(v.split(","));
                case "--huge-document-mb" -> hugeDocumentMb = Integer.parseInt(v);
                case "--online-share" -> onlineShare = Double.parseDouble(v);
                case "--edge-share" -> edgeShare = Double.parseDouble(v);
                case "--exclude-edge-cases" -> {
                    for (String n : v.split(",")) {
                        try {
                            excluded.add(EdgeCase.valueOf(n.trim().toUpperCase(Locale.ROOT)));
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("--exclude-edge-cases: no edge case " + n
                                + "; known: " + java.util.Arrays.toString(EdgeCase.values()));
                        }
                    }
                }
                default -> { return false; }
            }
            return true;
        }

        @Override
        void check() {
            for (String b : baselines) {
                if (!b.equals("a") && !b.equals("b")) throw new IllegalArgumentException("--baselines: a, b or none, got " + b);
            }
            // fail here, with the option's name, rather than after connecting
            GeneratorOptions.builder().meanDocumentBytes(meanKb * 1024).sizeSigma(sigma).edgeCaseShare(edgeShare)
                .edgeCases(edgeCases()).incompressibleShare(incompressibleShare).build();
        }
    }
}
