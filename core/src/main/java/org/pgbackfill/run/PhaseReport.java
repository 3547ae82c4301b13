package org.pgbackfill.run;

/** What one phase did: its wall time and the volume it moved. */
public record PhaseReport(Phase phase, double seconds, long rows, long bytes) {
    /** Megabytes (10^6 bytes) per second over the phase, or 0 when it moved no bytes. */
    public double megabytesPerSecond() {
        return seconds <= 0 || bytes <= 0 ? 0 : bytes / 1e6 / seconds;
    }

    /**
     * This phase and a later pass through it (a reconciliation sends ranges back to the load, a
     * reconnect resumes a phase) as one: seconds and rows add up, bytes too, except the build's,
     * which are the indexes' size at its end.
     */
    PhaseReport plus(PhaseReport later) {
        return new PhaseReport(phase, seconds + later.seconds, rows + later.rows, phase == Phase.BUILD ? later.bytes : bytes + later.bytes);
    }
}
