package org.pgbackfill.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pgbackfill.db.DatabaseUrl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pgbackfill run} as users run it: the command-line jar in its own JVM, with a fixed heap
 * limit. Returns its JSON report and its peak resident set size, read from
 * {@code /proc/<pid>/status} (VmHWM) while it runs.
 */
final class PgbackfillProcess {
    /** The report (see {@code run --report}), the peak RSS in bytes (-1 where /proc is missing), the process's wall and CPU time. */
    record Result(JsonNode report, long peakRssBytes, double wallSeconds, double cpuSeconds) {
        double phaseSeconds(String phase) {
            for (JsonNode p : report.get("phases")) if (p.get("phase").asText().equals(phase)) return p.get("seconds").asDouble();
            return 0;
        }
        double totalSeconds() { return report.get("total_seconds").asDouble(); }
        long walBytes() { return report.get("wal_bytes").asLong(); }
        long peakHeapBytes() { return report.get("peak_heap_bytes").asLong(); }
        long peakHeapAfterGcBytes() { return report.path("peak_heap_after_gc_bytes").asLong(-1); }
        long documentBytes() { return report.get("document_bytes").asLong(); }
        long rows() { return report.get("rows_written").asLong(); }
    }

    private final Path jar;
    private final String maxHeap;
    private final List<String> jvmOptions;

    /** With more options for its JVM (a flight recording, say) before {@code -jar}. */
    PgbackfillProcess(Path jar, String maxHeap, List<String> jvmOptions) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no pgbackfill jar at " + jar.toAbsolutePath()
                + "; build it first (mvn -B -DskipTests package) or give --cli-jar");
        }
        this.jar = jar;
        this.maxHeap = maxHeap;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** The options this process's JVM gets besides -Xmx. */
    List<String> jvmOptions() {
        return jvmOptions;
    }

    Result run(DatabaseUrl url, int workers, long nowEpoch) throws IOException, InterruptedException {
        return exec(url, "run", "--workers", String.valueOf(workers), "--now-epoch", String.valueOf(nowEpoch));
    }

    /** {@code pgbackfill <args> --report FILE --quiet} on {@code url}. */
    Result exec(DatabaseUrl url, String... args) throws IOException, InterruptedException {
        Path report = Files.createTempFile("pgbackfill-bench-report", ".json");
        try {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx" + maxHeap));
            cmd.addAll(jvmOptions);
            cmd.addAll(List.of("-jar", jar.toString()));
            cmd.addAll(List.of(args));
            cmd.addAll(List.of("--report", report.toString(), "--quiet"));
            // the summary goes to stdout (the report file has it all); warnings and errors to stderr, shown
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("DATABASE_URL", url.jdbcUrlWithCredentials());   // not on the command line, where ps shows it
            long t0 = System.nanoTime();
            Process p = pb.start();
            long peakRss = -1;
            double cpu = -1;
            while (!p.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                peakRss = Math.max(peakRss, vmHwm(p.pid()));
                cpu = Math.max(cpu, CpuMeter.processSeconds(p.pid()));
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (p.exitValue() != 0) throw new IllegalStateException("pgbackfill " + args[0] + " exited " + p.exitValue() + " (its errors are above)");
            return new Result(new ObjectMapper().readTree(report.toFile()), peakRss, wall, cpu);
        } finally {
            Files.deleteIfExists(report);
        }
    }

    /** The process's peak resident set size so far (the kernel keeps it), or -1. */
    private static long vmHwm(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // gone already, or no /proc
        }
        return -1;
    }
}
