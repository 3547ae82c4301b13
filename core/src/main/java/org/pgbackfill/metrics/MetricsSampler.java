package org.pgbackfill.metrics;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.state.ControlTables;

import org.pgbackfill.db.Database;
import org.pgbackfill.db.ConnectionSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads the meters that live in the database (ranges by state, WAL written) on its own thread,
 * every few seconds, into {@link RunMetrics}' plain values. A scrape then never waits for the
 * database nor takes a pool connection, and a failed read is logged (once per distinct cause),
 * not turned silently into NaN: the meters keep their last value read.
 */
public final class MetricsSampler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsSampler.class);
    static final long INTERVAL_MILLIS = 2000;

    private final ConnectionSource connections;
    private final ControlTables control;
    private final RunMetrics metrics;
    private final long walAtStart;
    private final ScheduledExecutorService thread;   // null when nobody reads the meters
    private volatile long runId = -1;
    private volatile String lastFailure;

    /** {@code walAtStart}: the server's WAL position when the run began (-1: unknown, a standby). */
    public MetricsSampler(ConnectionSource connections, ControlTables control, RunMetrics metrics, long walAtStart) {
        this.connections = connections;
        this.control = control;
        this.metrics = metrics;
        this.walAtStart = walAtStart;
        this.thread = metrics == RunMetrics.NONE ? null : Threads.scheduler("pgbackfill-metrics");
        if (thread == null) return;   // nobody reads the meters: no thread, no query
        sample();   // the first scrape already has real values
        thread.scheduleWithFixedDelay(this::sample, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** From now on, the ranges of run {@code id} are counted too. */
    public void run(long id) {
        this.runId = id;
        if (thread != null) thread.execute(this::sample);
    }

    private void sample() {
        try (Connection c = connections.connection()) {
            long wal = Database.walBytes(c);
            if (wal >= 0 && walAtStart >= 0) metrics.walWritten(wal - walAtStart);
            if (runId >= 0) {
                Map<String, Long> states = control.rangeStates(c, runId);
                metrics.rangeStates(states);
            }
            if (lastFailure != null) log.info("metrics read from the database again");
            lastFailure = null;
        } catch (SQLException | RuntimeException e) {
            String cause = e.getMessage();
            if (!java.util.Objects.equals(cause, lastFailure)) {
                log.warn("could not read the run's meters from the database (they keep their last values): {}", cause);
            }
            lastFailure = cause;
        }
    }

    @Override public void close() {
        if (thread != null) thread.shutdownNow();
    }
}
