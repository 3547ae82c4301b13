package org.pgbackfill.metrics;

import org.pgbackfill.control.Throttle;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * What the engine tells its meters, and nothing else: the run never reads a meter back. Two
 * implementations: {@link MicrometerRunMetrics}, on the registry a caller gives (the command line
 * serves it to Prometheus), and {@link #NONE}, which records nothing, for a run nobody watches
 * (tests, seeding, an embedder without a registry). {@link #on} chooses between them: it is the
 * one way to get either.
 */
public interface RunMetrics {
    /** Records nothing and reads nothing: no meter, no thread, no call back into what it is handed. */
    RunMetrics NONE = NoRunMetrics.INSTANCE;

    /** The meters on {@code registry}; {@link #NONE} when it is null. */
    static RunMetrics on(MeterRegistry registry) {
        return registry == null ? NONE : new MicrometerRunMetrics(registry);
    }

    /** One load round's running counts: chats read, document bytes read, rows committed. */
    interface LoadCounts {
        double chats();
        double documentBytes();
        double rowsWritten();
    }

    /**
     * The job the run turned out to be (known at the check when it follows from the revision): {@code name} and what
     * its load writes ({@code rows} of chat_message, or {@code values} of chat.current_message_id), which is what
     * the rows counters count.
     */
    void job(String name, String writes);

    void phaseStarted(Phase p);

    void phaseFinished(PhaseReport r);

    /** A load round's counts, read by the monotonic counters from now on (added to the earlier rounds'). */
    void loadCounters(LoadCounts round);

    /** A COPY transaction of {@code rows} rows committed after {@code nanos} (encode, send, commit). */
    void copyCommitted(long rows, long nanos);

    /** Rows of the ranges the reconciliation settled (their rows checked against what was read). */
    void settled(long rows);

    /** A reader finished a range: per-worker throughput. */
    void workerRead(String worker, long documentBytes);

    /** A range, a load round or a connection was retried. */
    void retried(String what);

    /** Slots in use in the ring between readers and writers, read from {@code ring} when the meters are read. */
    <T> void ringOccupancy(T ring, ToDoubleFunction<T> used);

    /** Ranges by state, as last read from the control table (state → count); {@link MetricsSampler} reads them. */
    void rangeStates(Map<String, Long> states);

    /** WAL the server wrote since the run began, as last read (bytes); {@link MetricsSampler} reads it. */
    void walWritten(long bytes);

    /**
     * 1 while the run is held, per cause: {@code paused}, {@code replication_lag}, {@code active_sessions}
     * (the full reason is in the log, the progress line and the run's status); and the throttle's rate limit.
     */
    void held(Throttle throttle);

    /** {@code n} messages or chats recorded as rejected for {@code reason}. */
    void rejected(String reason, long n);
}
