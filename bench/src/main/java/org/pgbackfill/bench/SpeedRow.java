package org.pgbackfill.bench;

import java.util.List;
import java.util.Locale;

/**
 * One row of a benchmark's speed table: the three phase columns ({@code middle} is the merge, {@code last} the build
 * or whatever else the run did), the total, WAL, heap, RSS and CPU; -1 where a figure is unknown.
 */
record SpeedRow(String name, double load, double middle, double last, double total, long walBytes, long heapBytes,
                long liveHeapBytes, long rssBytes, double serverCpu, double clientCpu) {

    /** The same figures under another name. */
    SpeedRow named(String other) {
        return new SpeedRow(other, load, middle, last, total, walBytes, heapBytes, liveHeapBytes, rssBytes, serverCpu, clientCpu);
    }

    /**
     * The cells from the name to "× limits", each followed by " | " except the last:
     * {@code | name | load | merge | last | total | MB/s | WAL | heap (after GC) | RSS | server CPU | client CPU | cores busy | × limits}.
     */
    String cells(double docMb, int cores, double limitsSum) {
        return String.format(Locale.ROOT, "| %s | %.2f | %s | %.2f | %.2f | %.0f | %s | %s | %s | %s | %s | %s | %.2f", name, load,
            middle > 0 ? String.format(Locale.ROOT, "%.2f", middle) : "", last, total, docMb / total, Tables.mb(walBytes),
            heapBytes < 0 ? "-" : Tables.mb(heapBytes) + " (" + Tables.mb(liveHeapBytes) + ")", Tables.mb(rssBytes),
            Tables.seconds(serverCpu), Tables.seconds(clientCpu), serverCpu < 0 || clientCpu < 0 ? ""
                : String.format(Locale.ROOT, "%.2f of %d", (serverCpu + clientCpu) / total, cores), total / limitsSum);
    }

    /** "× faster than": {@code baseline / total} to one decimal, empty without the baseline. */
    String fasterThan(Double baseline) {
        return baseline == null ? "" : String.format(Locale.ROOT, "%.1f", baseline / total);
    }

    /** The pgbackfill rows (named "pgbackfill…") of {@code rows}. */
    static List<SpeedRow> pgbackfill(List<SpeedRow> rows) {
        return rows.stream().filter(r -> r.name.startsWith("pgbackfill")).toList();
    }

    /** "pgbackfill, 1 worker", "pgbackfill, 2 workers". */
    static String pgbackfillName(int workers) {
        return "pgbackfill, " + workers + " worker" + (workers == 1 ? "" : "s");
    }
}
