package org.pgbackfill.job;

/**
 * The clock of a dry run's sample: how long it may read, and the rate it measured. The first third
 * of the time warms the JIT up and is left out of the rate, as a run of minutes amortizes it; a
 * sample too short to get past it is measured whole.
 */
final class SampleClock {
    private final long start = System.nanoTime();
    private final long limit;
    private long bytes;
    private long warmBytes = -1;
    private long warmAt;

    SampleClock(double seconds) {
        this.limit = (long) (seconds * 1e9);
    }

    /** Whether the sample may read more. */
    boolean running() {
        return System.nanoTime() - start < limit;
    }

    /** A document of {@code n} bytes was read and decided. */
    void read(long n) {
        bytes += n;
        if (warmBytes < 0 && System.nanoTime() - start >= limit / 3) {
            warmBytes = bytes;
            warmAt = System.nanoTime();
        }
    }

    /** Seconds since the start. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Bytes a second after the warm-up (or over the whole sample when it ended before). */
    double bytesPerSecond() {
        long now = System.nanoTime();
        if (warmBytes >= 0 && bytes > warmBytes && now > warmAt) return (bytes - warmBytes) / ((now - warmAt) / 1e9);
        return now > start ? bytes / ((now - start) / 1e9) : 0;
    }
}
