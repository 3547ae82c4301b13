package org.pgbackfill.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The outcome of a run: per-phase figures, counts and rejections by reason. */
public final class RunReport {
    private final List<PhaseReport> phases = new ArrayList<>();
    private final Map<String, Long> rejectionsByReason = new TreeMap<>();
    private long chatsRead;
    private long documentBytes;
    private long rowsStaged;
    private long rowsWritten;
    private int workers;
    private long nowEpoch;

    void addPhase(PhaseReport report) { phases.add(report); }
    void chatsRead(long n) { chatsRead = n; }
    void documentBytes(long n) { documentBytes = n; }
    void rowsStaged(long n) { rowsStaged = n; }
    void rowsWritten(long n) { rowsWritten = n; }
    void workers(int n) { workers = n; }
    void nowEpoch(long n) { nowEpoch = n; }
    void rejections(Map<String, Long> byReason) { rejectionsByReason.clear(); rejectionsByReason.putAll(byReason); }

    public List<PhaseReport> phases() { return Collections.unmodifiableList(phases); }
    public Map<String, Long> rejectionsByReason() { return Collections.unmodifiableMap(rejectionsByReason); }
    public long chatsRead() { return chatsRead; }
    public long documentBytes() { return documentBytes; }
    public long rowsStaged() { return rowsStaged; }
    /** Rows in {@code chat_message} at the end of the run. */
    public long rowsWritten() { return rowsWritten; }
    public int workers() { return workers; }
    public long nowEpoch() { return nowEpoch; }
    public long rejectionCount() { return rejectionsByReason.values().stream().mapToLong(Long::longValue).sum(); }
    public double totalSeconds() { return phases.stream().mapToDouble(PhaseReport::seconds).sum(); }

    /** A human summary, one line per phase, then counts and rejections. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-7s %9s %12s %12s %9s%n", "phase", "seconds", "rows", "MB", "MB/s"));
        for (PhaseReport p : phases) {
            b.append(String.format("%-7s %9.2f %12d %12.1f %9.1f%n",
                p.phase().label(), p.seconds(), p.rows(), p.bytes() / 1e6, p.megabytesPerSecond()));
        }
        b.append(String.format("total   %9.2f s with %d worker(s); now=%d%n", totalSeconds(), workers, nowEpoch));
        b.append(String.format("chats read: %d (%.1f MB of documents); rows staged: %d; rows in chat_message: %d%n",
            chatsRead, documentBytes / 1e6, rowsStaged, rowsWritten));
        if (rejectionsByReason.isEmpty()) {
            b.append("rejections: none\n");
        } else {
            b.append("rejections: ").append(rejectionCount()).append('\n');
            rejectionsByReason.forEach((reason, n) -> b.append(String.format("  %-24s %d%n", reason, n)));
        }
        return b.toString();
    }
}
