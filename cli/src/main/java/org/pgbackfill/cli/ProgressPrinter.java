package org.pgbackfill.cli;

import org.pgbackfill.run.Phase;
import org.pgbackfill.run.PhaseReport;
import org.pgbackfill.run.ProgressListener;

import java.io.PrintStream;

/**
 * The progress display: on a terminal one line redrawn in place (phase, percent by bytes, rate,
 * ETA once a few seconds of rate are known); otherwise a plain line every ten seconds.
 */
final class ProgressPrinter implements ProgressListener {
    private final PrintStream out;
    private final boolean tty;
    private final boolean quiet;
    private volatile long loadStartNanos;
    private volatile long lastPrintNanos;
    private volatile boolean lineOpen;
    private volatile String held;

    ProgressPrinter(PrintStream out, boolean tty, boolean quiet) {
        this.out = out;
        this.tty = tty;
        this.quiet = quiet;
    }

    @Override public synchronized void phaseStarted(Phase phase) {
        if (phase == Phase.LOAD) loadStartNanos = System.nanoTime();
        if (!quiet) line(phase.label() + " …", true);
    }

    @Override public synchronized void phaseFinished(PhaseReport p) {
        if (quiet) return;
        line(String.format("%s done in %.1f s%s", p.phase().label(), p.seconds(),
            p.bytes() > 0 ? String.format(" (%.1f MB/s)", p.megabytesPerSecond()) : ""), true);
        endLine();
    }

    @Override public synchronized void loadProgress(long bytesRead, double fractionDone, long rowsStaged) {
        if (quiet) return;
        long now = System.nanoTime();
        if (now - lastPrintNanos < (tty ? 250_000_000L : 10_000_000_000L)) return;
        lastPrintNanos = now;
        double seconds = (now - loadStartNanos) / 1e9;
        double rate = seconds > 0 ? bytesRead / 1e6 / seconds : 0;
        double pct = 100.0 * fractionDone;
        String eta = seconds >= 5 && pct > 1 ? String.format(", ETA %ds", (long) (seconds * (100 - pct) / pct)) : "";
        line(String.format("load %4.1f%%  %.1f MB read, %.1f MB/s, %d rows staged%s%s", pct, bytesRead / 1e6, rate, rowsStaged, eta,
            held == null ? "" : " — HELD: " + held), false);
    }

    @Override public synchronized void held(String reason) {
        held = reason;
        info(reason == null ? "no longer held: continuing" : "holding: " + reason);
    }

    @Override public synchronized void info(String message) {
        if (quiet) return;
        endLine();
        out.println("pgbackfill: " + message);
    }

    synchronized void done() { endLine(); }

    private void line(String text, boolean force) {
        if (tty) {
            out.print("\r\033[K" + text);
            lineOpen = true;
        } else if (force || true) {
            out.println(text);
        }
        out.flush();
    }

    private void endLine() {
        if (tty && lineOpen) out.println();
        lineOpen = false;
    }
}
