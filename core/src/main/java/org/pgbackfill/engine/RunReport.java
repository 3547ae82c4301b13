package org.pgbackfill.engine;

import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

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
    private long rowsLoaded;   // committed by the load (before the build set any aside)
    private long rowsWritten;
    private int workers;
    private String job = "";
    private String fromRevision = "";
    private String toRevision = "";
    private long nowEpoch;
    private long runId;
    private String serverVersion = "";
    private String toastCompression = "";
    private long walBytes = -1;
    private String writes = "rows";
    private String resultDescription = "rows in chat_message";

    /** A phase done; a phase passed through again (a reconciliation, a reconnect) is added to its first pass. */
    void addPhase(PhaseReport report) {
        for (int i = 0; i < phases.size(); i++) {
            if (phases.get(i).phase() == report.phase()) {
                phases.set(i, phases.get(i).plus(report));
                return;
            }
        }
        phases.add(report);
    }
    void chatsRead(long n) { chatsRead = n; }
    void documentBytes(long n) { documentBytes = n; }
    void rowsLoaded(long n) { rowsLoaded = n; }
    void rowsWritten(long n) { rowsWritten = n; }
    void workers(int n) { workers = n; }

    void job(String name, String from, String to) {
        job = name;
        fromRevision = from;
        toRevision = to;
    }
    /** What the job writes is called {@code writes} ("rows", "values"); {@link #rowsWritten} counts {@code resultDescription}. */
    void writes(String writes, String resultDescription) {
        this.writes = writes;
        this.resultDescription = resultDescription;
    }
    /** What the job writes is called ("rows" for chat_message, "values" for current_message_id). */
    public String writes() { return writes; }
    void nowEpoch(long n) { nowEpoch = n; }
    void runId(long n) { runId = n; }
    void serverVersion(String v) { serverVersion = v; }
    void toastCompression(String method) { toastCompression = method; }   // null: the job compresses nothing
    void walBytes(long n) { walBytes = n; }
    void rejections(Map<String, Long> byReason) { rejectionsByReason.clear(); rejectionsByReason.putAll(byReason); }

    public List<PhaseReport> phases() { return Collections.unmodifiableList(phases); }
    public Map<String, Long> rejectionsByReason() { return Collections.unmodifiableMap(rejectionsByReason); }
    public long chatsRead() { return chatsRead; }
    public long documentBytes() { return documentBytes; }
    /** Rows the load wrote to chat_message (before the build set any aside). */
    public long rowsLoaded() { return rowsLoaded; }
    /** Rows in {@code chat_message} at the end of the run. */
    public long rowsWritten() { return rowsWritten; }
    public int workers() { return workers; }

    /** The job that ran (e.g. chat_message), the revision it starts from, and the revision a finished run stamped. */
    public String job() { return job; }

    public String fromRevision() { return fromRevision; }

    public String toRevision() { return toRevision; }
    public long nowEpoch() { return nowEpoch; }
    public long runId() { return runId; }
    public String serverVersion() { return serverVersion; }
    /** The TOAST compression of chat_message's values: lz4, or pglz where the server has no lz4. */
    public String toastCompression() { return toastCompression; }
    /** WAL the server wrote while this process ran (all sessions, from the WAL insert position), or -1 when unknown. */
    public long walBytes() { return walBytes; }

    /** The peak heap this JVM used so far (sampled), in bytes. */
    public static long peakHeapBytes() { return HeapWatch.peakUsedBytes(); }

    /** The report as JSON (the command line writes it to a file when asked). */
    public String toJson() {
        java.io.StringWriter w = new java.io.StringWriter();
        try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("run_id", runId);
            g.writeStringField("server_version", serverVersion);
            g.writeStringField("toast_compression", toastCompression);
            g.writeStringField("job", job);
            g.writeStringField("from_revision", fromRevision);
            g.writeStringField("to_revision", toRevision);
            g.writeNumberField("workers", workers);
            g.writeNumberField("now_epoch", nowEpoch);
            g.writeNumberField("total_seconds", totalSeconds());
            g.writeArrayFieldStart("phases");
            for (PhaseReport p : phases) {
                g.writeStartObject();
                g.writeStringField("phase", p.phase().label());
                g.writeNumberField("seconds", p.seconds());
                g.writeNumberField("rows", p.rows());
                g.writeNumberField("bytes", p.bytes());
                g.writeNumberField("megabytes_per_second", p.megabytesPerSecond());
                g.writeBooleanField("skipped", p.skipped());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("chats_read", chatsRead);
            g.writeNumberField("document_bytes", documentBytes);
            g.writeNumberField("rows_loaded", rowsLoaded);
            g.writeNumberField("rows_written", rowsWritten);
            g.writeStringField("writes", writes);   // what rows_loaded counts: rows, or values (the current_message_id job)
            g.writeObjectFieldStart("rejections");
            for (Map.Entry<String, Long> e : rejectionsByReason.entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeNumberField("wal_bytes", walBytes);
            g.writeNumberField("peak_heap_bytes", peakHeapBytes());
            g.writeNumberField("peak_heap_after_gc_bytes", HeapWatch.peakAfterGcBytes());
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }
    public long rejectionCount() { return rejectionsByReason.values().stream().mapToLong(Long::longValue).sum(); }
    public double totalSeconds() { return phases.stream().mapToDouble(PhaseReport::seconds).sum(); }

    /** A human summary, one line per phase, then counts and rejections. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-8s %9s %12s %12s %9s%n", "phase", "seconds", writes, "MB", "MB/s"));
        for (PhaseReport p : phases) {
            // the build's MB are the indexes' size, not a volume moved: no rate; a phase found done says so
            String rate = p.skipped() ? "skipped" : p.phase() == Phase.BUILD || p.bytes() <= 0 ? "-" : String.format("%.1f", p.megabytesPerSecond());
            b.append(String.format("%-8s %9.2f %12d %12.1f %9s%n",
                p.phase().label(), p.seconds(), p.rows(), p.bytes() / 1e6, rate));
        }
        b.append(String.format("total    %9.2f s with %d worker%s; now=%d%n", totalSeconds(), workers, workers == 1 ? "" : "s", nowEpoch));
        b.append(String.format(java.util.Locale.ROOT, "chats read: %d (%.1f MB of documents); %s written by the load: %d; %s: %d%s%n",
            chatsRead, documentBytes / 1e6, writes, rowsLoaded, resultDescription, rowsWritten, writes.equals("rows") && rowsLoaded > rowsWritten
                // the difference is no loss: say where it went
                ? " (" + (rowsLoaded - rowsWritten) + " fewer: set aside by the build as DUPLICATE_ID or INDEX_ROW_TOO_LARGE, "
                    + "see the rejections, or their chat was deleted meanwhile)" : ""));
        long live = HeapWatch.peakAfterGcBytes();
        b.append(String.format("WAL written by the server meanwhile: %s; peak heap: %.0f MB (%s); PostgreSQL %s"
            + "%s%n", walBytes < 0 ? "unknown" : String.format("%.1f MB", walBytes / 1e6), peakHeapBytes() / 1e6,
            live < 0 ? "no collection ran yet" : String.format("%.0f MB after a collection", live / 1e6), serverVersion,
            toastCompression == null ? "" : ", TOAST compression " + toastCompression));
        if (rejectionsByReason.isEmpty()) {
            b.append("rejections: none\n");
        } else {
            b.append("rejections: ").append(rejectionCount()).append('\n');
            rejectionsByReason.forEach((reason, n) -> b.append(String.format("  %-24s %d%n", reason, n)));
        }
        return b.toString();
    }
}
