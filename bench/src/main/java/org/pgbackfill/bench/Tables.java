package org.pgbackfill.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The figures and Markdown tables the benchmarks print. */
final class Tables {
    private Tables() { }

    /** Seconds to one decimal; empty when unknown (negative). */
    static String seconds(double s) { return s < 0 ? "" : String.format(Locale.ROOT, "%.1f", s); }

    /** Bytes as whole MB; "-" when unknown (negative). */
    static String mb(long bytes) { return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f", bytes / 1e6); }

    /** The header line, the |---| line under it, and the rows, each cell of a row separated by " | ". */
    static void print(PrintStream out, String header, List<String[]> rows) {
        out.println(header);
        out.println(separator(header));
        for (String[] r : rows) out.println("| " + String.join(" | ", r) + " |");
    }

    /** The |---|---| line under {@code header}, one dash cell per column. */
    static String separator(String header) {
        int columns = header.split("\\|", -1).length - 2;
        return "|" + "---|".repeat(columns);
    }

    /** A line of the targets: what, the figure, and whether it is met. */
    static void target(PrintStream out, String what, double value, String unit, boolean met) {
        out.printf(Locale.ROOT, "- %s: %.2f %s — %s%n", what, value, unit, met ? "met" : "MISSED");
    }

    /** A row of a memory table: dataset, MB of documents, largest document MB, count, total s, peak heap, after GC, RSS. */
    static String[] memoryRow(BenchDatabases.Template t, long count, double totalSeconds, long heapBytes, long liveHeapBytes,
                              long rssBytes) {
        return new String[] {t.name(), mb(t.documentBytes()), mb(t.largestDocumentBytes()), String.valueOf(count),
            String.format(Locale.ROOT, "%.1f", totalSeconds), mb(heapBytes), mb(liveHeapBytes), mb(rssBytes)};
    }
}
