package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options the end-to-end benchmarks ({@link EndToEndBenchmark}, {@link CurrentMessageBenchmark}) both accept,
 * and their parsing; each benchmark's options extend this with their own ({@link #flag}, {@link #option}) and
 * defaults, and keep their own usage text.
 */
abstract class BenchOptions {
    DatabaseUrl url;
    long sizeMb;
    List<Integer> workers = List.of(1, 2, 4);
    Path cliJar = Path.of("cli/target/pgbackfill.jar");
    String maxHeap = "512m";
    List<Long> memorySizes;
    int memoryWorkers = 2;
    String prefix = BenchDatabases.PREFIX;
    long seed = 42;
    int meanKb = 64;
    double sigma = 2.0;
    double incompressibleShare = 0.1;
    int seedConnections = 2;
    int limitRepeats = 1;
    long nowEpoch = 1_750_086_400L;
    boolean reseed;
    /** Options of every pgbackfill JVM the benchmark starts (a JFR recording, say). */
    List<String> jvmOptions = new ArrayList<>();
    /** More pgbackfill runs, of the first worker count, in JVMs with these options too (a JIT or GC to compare), by name. */
    java.util.Map<String, String> variants = new java.util.LinkedHashMap<>();

    BenchOptions(long sizeMb) { this.sizeMb = sizeMb; }

    /** A benchmark's own option without a value; false if it is not one. */
    boolean flag(String name) { return false; }

    /** A benchmark's own option with value {@code v}; false if it is not one. */
    boolean option(String name, String v) { return false; }

    /** A benchmark's own checks and derived defaults, after the common ones. */
    void check() { }

    /** Parses {@code args} into {@code o}; {@link IllegalArgumentException} with the message to print. */
    static <O extends BenchOptions> O parse(O o, String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--reseed")) {
                o.reseed = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("help");
            } else if (!o.flag(a)) {
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                try {
                    if (!o.common(a, v) && !o.option(a, v)) throw new IllegalArgumentException("unknown option " + a);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(a + ": not a number: " + v);
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
        if (!o.prefix.matches("[a-z_][a-z0-9_]*")) throw new IllegalArgumentException("--prefix: lower-case letters, digits, _");
        o.check();
        return o;
    }

    final boolean common(String a, String v) {
        switch (a) {
            case "--database-url" -> url = DatabaseUrl.parse(v);
            case "--size-mb" -> sizeMb = Long.parseLong(v);
            case "--workers" -> workers = parseList(v);
            case "--cli-jar" -> cliJar = Path.of(v);
            case "--max-heap" -> maxHeap = v;
            case "--memory-sizes" -> memorySizes = v.equals("none") ? List.of() : parseList(v).stream().map(Long::valueOf).toList();
            case "--memory-workers" -> memoryWorkers = Integer.parseInt(v);
            case "--prefix" -> prefix = v;
            case "--seed" -> seed = Long.parseLong(v);
            case "--mean-kb" -> meanKb = Integer.parseInt(v);
            case "--sigma" -> sigma = Double.parseDouble(v);
            case "--incompressible-share" -> incompressibleShare = Double.parseDouble(v);
            case "--seed-connections" -> seedConnections = Integer.parseInt(v);
            case "--limit-repeats" -> limitRepeats = Integer.parseInt(v);
            case "--now-epoch" -> nowEpoch = Long.parseLong(v);
            case "--jvm-option" -> jvmOptions.add(v);
            case "--jvm-variant" -> {
                int eq = v.indexOf('=');
                if (eq < 1) throw new IllegalArgumentException("--jvm-variant NAME=OPTIONS, got " + v);
                variants.put(v.substring(0, eq), v.substring(eq + 1));
            }
            default -> { return false; }
        }
        return true;
    }

    static List<Integer> parseList(String v) {
        List<Integer> l = new ArrayList<>();
        for (String s : v.split(",")) {
            int n = Integer.parseInt(s.trim());
            if (n < 1) throw new IllegalArgumentException("counts must be at least 1, got " + n);
            l.add(n);
        }
        if (l.isEmpty()) throw new IllegalArgumentException("no count given");
        return l;
    }

    /** The pgbackfill process of the benchmark's main runs. */
    PgbackfillProcess pgbackfill() {
        return new PgbackfillProcess(cliJar, maxHeap, jvmOptions);
    }

    /** Each variant's pgbackfill process: the main runs' options and the variant's. */
    java.util.Map<String, PgbackfillProcess> variantProcesses() {
        java.util.Map<String, PgbackfillProcess> m = new java.util.LinkedHashMap<>();
        variants.forEach((name, options) -> {
            List<String> all = new ArrayList<>(jvmOptions);
            all.addAll(List.of(options.trim().split("\\s+")));
            m.put(name, new PgbackfillProcess(cliJar, maxHeap, all));
        });
        return m;
    }

    /** A benchmark's {@code main}: parses (usage and exit 2 on a bad option), runs, exits with its status. */
    static <O extends BenchOptions> void main(String[] args, O options, String usage, Benchmark<O> benchmark) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        O o;
        try {
            o = parse(options, args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage);
            System.exit(2);
            return;
        }
        System.exit(benchmark.run(o));
    }

    /** A benchmark run with parsed options, giving the exit status. */
    interface Benchmark<O> {
        int run(O options) throws Exception;
    }
}
