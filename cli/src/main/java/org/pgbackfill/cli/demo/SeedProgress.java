package org.pgbackfill.cli.demo;

import org.pgbackfill.seed.ChatSeeder;

import java.io.PrintStream;

/** The seeding progress: one line redrawn in place on a terminal, otherwise a line every ten seconds. */
public final class SeedProgress implements ChatSeeder.Progress {
    private final PrintStream err;
    private final boolean tty;
    private final long targetBytes;
    private final long start = System.nanoTime();
    private long lastPrint = start;
    private boolean lineOpen;

    public SeedProgress(PrintStream err, boolean tty, long targetBytes) {
        this.err = err;
        this.tty = tty;
        this.targetBytes = targetBytes;
    }

    @Override public synchronized void loaded(long chats, long documentBytes) {
        long now = System.nanoTime();
        if (now - lastPrint < (tty ? 250_000_000L : 10_000_000_000L)) return;
        lastPrint = now;
        double seconds = (now - start) / 1e9;
        String line = String.format("seed %4.1f%%  %d chats, %.1f MB, %.1f MB/s",
            Math.min(100.0, 100.0 * documentBytes / targetBytes), chats, documentBytes / 1e6, documentBytes / 1e6 / seconds);
        if (tty) {
            err.print("\r\033[K" + line);
            lineOpen = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    public synchronized void done() {
        if (lineOpen) err.println();
        lineOpen = false;
    }
}
