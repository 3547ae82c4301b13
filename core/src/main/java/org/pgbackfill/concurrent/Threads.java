package org.pgbackfill.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every thread the tool starts comes from here: daemon threads (a run that ends never waits for
 * a helper thread), named for what they do ({@code pgbackfill-reader-0}, {@code pgbackfill-lease}),
 * as thread dumps, logs and the per-worker meters show them.
 */
public final class Threads {
    private Threads() { }

    /** Daemon threads called {@code name}. */
    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Daemon threads called {@code prefix0}, {@code prefix1}, … */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger next = new AtomicInteger();
        return r -> named(prefix + next.getAndIncrement()).newThread(r);
    }

    /** One daemon thread for periodic work. */
    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(named(name));
    }

    /** {@code n} daemon threads called {@code prefix0} … */
    public static ExecutorService pool(String prefix, int n) {
        return Executors.newFixedThreadPool(Math.max(1, n), numbered(prefix));
    }

    /** Runs {@code task} on each of {@code n} threads, and waits until all have ended, calling {@code tick} about every second. */
    public static void runAll(String prefix, int n, Runnable task, Runnable tick) throws InterruptedException {
        ExecutorService pool = pool(prefix, n);
        try {
            for (int i = 0; i < n; i++) pool.execute(task);
            pool.shutdown();
            while (!pool.awaitTermination(1, TimeUnit.SECONDS)) tick.run();
        } finally {
            pool.shutdownNow();
        }
    }
}
