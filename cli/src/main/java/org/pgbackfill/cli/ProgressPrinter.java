package org.pgbackfill.cli;

import org.pgbackfill.phase.IndexProgress;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.phase.ProgressListener;

import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress display, a line per phase: on a terminal redrawn in place (percent, rate and ETA
 * from the first second of the load; indexes done and each index's step during the build),
 * otherwise a plain line every {@link #PLAIN_INTERVAL_NANOS}. Lines go through {@link Terminal},
 * so that log lines never land on the progress line and a non-UTF-8 console gets ASCII.
 */
final class ProgressPrinter implements ProgressListener {
    /** Without a terminal (a log file, a CI job): a line this often at most. */
    static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;
    private static final long TTY_INTERVAL_NANOS = 250_000_000L;

    private final Terminal term;
    private final boolean quiet;
    private final LongSupplier clock;
    private volatile long phaseStartNanos;
    private volatile long lastPrintNanos;
    private volatile String held;
    /** What the job writes is called: "rows" (chat_message), "values" (current_message_id). */
    private volatile String writes = "rows";

    ProgressPrinter(Terminal term, boolean quiet) {
        this(term, quiet, System::nanoTime);
    }

    ProgressPrinter(Terminal term, boolean quiet, LongSupplier clock) {
        this.term = term;
        this.quiet = quiet;
        this.clock = clock;
    }

    @Override public synchronized void phaseStarted(Phase phase) {
        phaseStartNanos = clock.getAsLong();
        lastPrintNanos = 0;
        if (!quiet) term.progress(phase.label() + " \u2026");
    }

    @Override public synchronized void job(String name, String writes) {
        this.writes = writes;
    }

    @Override public synchronized void phaseFinished(PhaseReport p) {
        if (quiet) return;
        term.progress(finished(p, writes));
        term.endProgress();
    }

    /** The line a finished phase leaves, for a job that writes rows. */
    static String finished(PhaseReport p) {
        return finished(p, "rows");
    }

    /** The line a finished phase leaves; {@code writes} is what the job writes ("rows", "values"). */
    static String finished(PhaseReport p, String writes) {
        if (p.skipped()) return p.phase().label() + ": already done (by an earlier run or another process), nothing to do";
        String what = switch (p.phase()) {
            // the current_message_id job's build is the merge into chat: it builds no index
            case BUILD -> writes.equals("values") ? " (staged values merged into chat)"
                : p.bytes() > 0 ? String.format(Locale.ROOT, " (indexes: %.1f MB)", p.bytes() / 1e6) : "";
            // a resumed run whose ranges were all loaded before read nothing: no "0.0 MB/s"
            case LOAD -> p.bytes() <= 0 && p.rows() <= 0 ? " (nothing left to read: every range was loaded before)"
                : String.format(Locale.ROOT, " (%.1f MB of documents at %.1f MB/s, %,d %s written)", p.bytes() / 1e6,
                p.megabytesPerSecond(), p.rows(), writes);
            case CATCH_UP -> String.format(Locale.ROOT, " (%,d %s written)", p.rows(), writes);
            default -> p.bytes() > 0 ? String.format(Locale.ROOT, " (%.1f MB/s)", p.megabytesPerSecond()) : "";
        };
        return String.format(Locale.ROOT, "%s done in %s%s", p.phase().label(), duration(p.seconds()), what);
    }

    @Override public synchronized void loadProgress(long bytesRead, double fractionDone, long rowsWritten) {
        if (quiet || !due()) return;
        double seconds = (clock.getAsLong() - phaseStartNanos) / 1e9;
        double rate = seconds > 0 ? bytesRead / 1e6 / seconds : 0;
        term.progress(String.format(Locale.ROOT, "load %5.1f%%  %.1f MB read at %.1f MB/s, %,d %s written, %s%s", 100 * fractionDone,
            // a held run reads nothing: no ETA until it continues
            bytesRead / 1e6, rate, rowsWritten, writes, held == null ? eta(seconds, fractionDone) : "no ETA while held",
            held == null ? "" : " \u2014 HELD: " + held));
    }

    @Override public synchronized void buildProgress(int done, int total, List<IndexProgress> building) {
        if (quiet || writes.equals("values") || !due()) return;   // a merge, no index: the server's index progress is not this run's
        double seconds = (clock.getAsLong() - phaseStartNanos) / 1e9;
        double fraction = total <= 0 ? 0 : Math.min(0.99, (done + building.stream().mapToDouble(IndexProgress::fraction).sum()) / total);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "build %5.1f%%  %d of %d indexes done", 100 * fraction, done, total));
        for (IndexProgress ix : building) {
            b.append("; ").append(ix.index()).append(' ').append(ix.step());
            if (ix.stepFraction() >= 0) b.append(String.format(Locale.ROOT, " %.0f%%", 100 * ix.stepFraction()));
        }
        b.append(", ").append(eta(seconds, fraction));
        term.progress(b.toString());
    }

    @Override public synchronized void catchUpProgress(int pass, long done, long pending) {
        if (quiet || !due()) return;
        double seconds = (clock.getAsLong() - phaseStartNanos) / 1e9;
        double fraction = pending <= 0 ? 1 : (double) done / pending;
        term.progress(String.format(Locale.ROOT, "catch-up pass %d %5.1f%%  %,d of %,d changed chats, %s", pass, 100 * fraction, done, pending,
            pending <= 0 ? "nothing pending" : eta(seconds, fraction)));
    }

    /** ETA from the rate so far, shown from the first second (it settles as the rate does). */
    private static String eta(double seconds, double fraction) {
        if (seconds < 1 || fraction <= 0) return "ETA: measuring";
        return "ETA " + duration(seconds * (1 - fraction) / fraction);
    }

    /** 42 s, 3 min 05 s, 2 h 07 min. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (seconds < 10) return String.format(Locale.ROOT, "%.1f s", seconds);
        if (s < 120) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    private boolean due() {
        long now = clock.getAsLong();
        long interval = term.tty() ? TTY_INTERVAL_NANOS : PLAIN_INTERVAL_NANOS;
        if (lastPrintNanos != 0 && now - lastPrintNanos < interval) return false;
        lastPrintNanos = now;
        return true;
    }

    @Override public synchronized void held(String reason) {
        // the progress line says it; the log line ("holding: …", "no longer held") says when, once: not twice
        held = reason == null ? null : Advice.hold(reason);
    }

    @Override public synchronized void info(String message) {
        if (quiet) return;
        term.println("pgbackfill: " + message);
    }

    synchronized void done() { term.endProgress(); }
}
