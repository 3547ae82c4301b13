package org.pgbackfill.run;

/** What one phase did: its wall time and the volume it moved. */
public record PhaseReport(Phase phase, double seconds, long rows, long bytes) {
    /** Megabytes (10^6 bytes) per second over the phase, or 0 when it moved no bytes. */
    public double megabytesPerSecond() {
        return seconds <= 0 || bytes <= 0 ? 0 : bytes / 1e6 / seconds;
    }
}
