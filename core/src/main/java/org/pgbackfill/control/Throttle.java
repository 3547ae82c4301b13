package org.pgbackfill.control;

import org.pgbackfill.source.ReadGate;

import java.util.function.BooleanSupplier;

/**
 * How gently a run reads: readers call {@link #admit} after each document. It holds them while
 * the run is held (paused from the control table, or the server under pressure, see
 * {@link HoldMonitor}), and spaces documents so that the bytes read stay at or under
 * the run's rate limit over the whole run, shared by all readers of the process.
 */
public final class Throttle implements ReadGate {
    private final double bytesPerNano;
    private final BooleanSupplier stopping;
    private volatile String holdReason;
    private long nextFreeNanos;

    /** @param maxBytesPerSecond 0 for no rate limit */
    public Throttle(long maxBytesPerSecond, BooleanSupplier stopping) {
        this.bytesPerNano = maxBytesPerSecond / 1e9;
        this.stopping = stopping;
    }

    /** The rate limit in bytes per second (0: none). */
    public double maxBytesPerSecond() { return bytesPerNano * 1e9; }

    /** Why the run is held now, or null. */
    public String holdReason() { return holdReason; }

    void hold(String reason) { this.holdReason = reason; }

    /** {@link #admit} for a reader inside a stream: an interruption ends the read as an {@link java.io.InterruptedIOException}. */
    @Override
    public void admitRead(long bytes) throws java.io.InterruptedIOException {
        try {
            admit(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("stopped while reading");
        }
    }

    /**
     * Accounts for {@code bytes} just read: waits until the rate limit allows that many bytes (the
     * readers' reservations queue one after another), then while the run is held. The hold comes
     * last: a reader returns from here to read its next document, and a hold that begins while it
     * waits for its turn (seconds, at a low rate after a large document) must stop that document too.
     */
    public void admit(long bytes) throws InterruptedException {
        if (bytesPerNano > 0 && bytes > 0) {
            long wakeAt;
            synchronized (this) {
                long now = System.nanoTime();
                long start = Math.max(now, nextFreeNanos);
                nextFreeNanos = start + (long) (bytes / bytesPerNano);
                wakeAt = nextFreeNanos;
            }
            long wait;
            while ((wait = wakeAt - System.nanoTime()) > 0 && !stopping.getAsBoolean()) {
                Thread.sleep(Math.min(200, Math.max(1, wait / 1_000_000)));
            }
        }
        while (holdReason != null && !stopping.getAsBoolean()) Thread.sleep(100);
    }
}
