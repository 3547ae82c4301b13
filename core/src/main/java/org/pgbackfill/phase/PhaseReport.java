package org.pgbackfill.phase;

/**
 * What one phase did: its wall time and the volume it moved; {@code skipped} when its work was
 * already done (by an earlier run, or another process) and this process only found it done.
 * For the build, {@code bytes} is the indexes' size at its end, not a volume moved.
 */
public record PhaseReport(Phase phase, double seconds, long rows, long bytes, boolean skipped) {
    public PhaseReport(Phase phase, double seconds, long rows, long bytes) {
        this(phase, seconds, rows, bytes, false);
    }

    /** A phase found done. */
    public static PhaseReport skipped(Phase phase, double seconds, long bytes) {
        return new PhaseReport(phase, seconds, 0, bytes, true);
    }

    /**
     * Megabytes (10^6 bytes) per second over the phase, or 0 when it moved no bytes, was skipped,
     * or is the build (whose bytes are the indexes' size: a rate of it would mean nothing).
     */
    public double megabytesPerSecond() {
        return seconds <= 0 || bytes <= 0 || skipped || phase == Phase.BUILD ? 0 : bytes / 1e6 / seconds;
    }

    /**
     * This phase and a later pass through it (a reconciliation sends ranges back to the load, a
     * reconnect resumes a phase) as one: seconds and rows add up, bytes too, except the build's,
     * which are the indexes' size at its end.
     */
    public PhaseReport plus(PhaseReport later) {
        return new PhaseReport(phase, seconds + later.seconds, rows + later.rows, phase == Phase.BUILD ? later.bytes : bytes + later.bytes,
            skipped && later.skipped);
    }
}
