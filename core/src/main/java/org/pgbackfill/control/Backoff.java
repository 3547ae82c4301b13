package org.pgbackfill.control;

/**
 * How long to wait before trying again, the one policy every retry loop uses: the wait grows with
 * each attempt (linearly for a lock a short transaction holds, doubling for a server or a range
 * that failed) up to a cap, so a retry neither hammers a busy server nor waits longer than the
 * trouble usually lasts.
 */
public record Backoff(long baseMillis, long capMillis, boolean doubling) {
    /** A lock on chat held by the application's short transactions: 200 ms more each try, at most 5 s. */
    public static final Backoff LOCK = new Backoff(200, 5_000, false);
    /** A catch-up batch that met a concurrent save or delete: 100 ms more each try. */
    public static final Backoff CONFLICT = new Backoff(100, 5_000, false);
    /** A range whose reading failed: 1 s, 2 s, 4 s … at most 10 s. */
    public static final Backoff RANGE = new Backoff(500, 10_000, true);
    /** A load round that failed (a writer's connection lost): 1 s, 2 s, 4 s … at most 15 s. */
    public static final Backoff ROUND = new Backoff(500, 15_000, true);

    /** The wait before attempt {@code attempt + 1}, after {@code attempt} failures (from 1). */
    public long millis(int attempt) {
        int n = Math.max(1, attempt);
        long wait = doubling ? baseMillis << Math.min(n, 20) : baseMillis * n;
        return Math.min(capMillis, wait);
    }

    /** Sleeps {@link #millis}. */
    public void sleep(int attempt) throws InterruptedException {
        Thread.sleep(millis(attempt));
    }
}
