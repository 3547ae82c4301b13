package org.pgbackfill.metrics;

import org.pgbackfill.HoldCause;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The run's meters on Micrometer, registered once on the registry the caller gives (the CLI exposes
 * it to Prometheus; embedders bring their own). Names are stable: with Prometheus naming they become
 * {@code pgbackfill_chats_read_total}, {@code pgbackfill_document_read_bytes_total},
 * {@code pgbackfill_rows_written_total}, {@code pgbackfill_rows_settled_total}, {@code pgbackfill_rejections_total{reason}},
 * {@code pgbackfill_phase{phase}} (1 while the phase runs), {@code pgbackfill_phase_duration_seconds{phase}},
 * {@code pgbackfill_copy_commit_seconds} and {@code pgbackfill_copy_batch_rows} (histograms),
 * {@code pgbackfill_worker_read_bytes_total{worker}}, {@code pgbackfill_retries_total{what}},
 * {@code pgbackfill_ring_occupancy}, {@code pgbackfill_ranges{state}}, {@code pgbackfill_wal_written_bytes},
 * {@code pgbackfill_held{cause}} and {@code pgbackfill_max_rate_bytes}. README.md lists them, and the Grafana dashboard
 * (src/monitoring) reads them: MicrometerRunMetricsTest checks each name.
 */
public final class MicrometerRunMetrics implements RunMetrics {
    private final MeterRegistry registry;
    private final Map<Phase, AtomicLong> phaseActive = new EnumMap<>(Phase.class);
    private final Map<Phase, double[]> phaseSeconds = new EnumMap<>(Phase.class);

    public MicrometerRunMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Phase p : Phase.values()) {
            AtomicLong active = new AtomicLong();
            phaseActive.put(p, active);
            Gauge.builder("pgbackfill.phase", active, AtomicLong::get).tag("phase", p.label())
                .description("1 while the phase runs, else 0").register(registry);
            double[] seconds = new double[1];
            phaseSeconds.put(p, seconds);
            Gauge.builder("pgbackfill.phase.duration", seconds, s -> s[0]).baseUnit("seconds").tag("phase", p.label())
                .description("wall time of the phase, once finished").register(registry);
        }
        registerLoadCounters();
        registerSampledGauges();
    }

    public MeterRegistry registry() { return registry; }

    @Override public void job(String name, String writes) {
        // an info series: dashboards join on it to label the rows counters, whose names stay the same for both jobs
        Gauge.builder("pgbackfill.job", () -> 1).tag("job", name).tag("writes", writes)
            .description("1, labelled with the run's job and what its rows counters count (rows or values)").register(registry);
    }

    @Override public void phaseStarted(Phase p) { phaseActive.get(p).set(1); }

    @Override public void phaseFinished(PhaseReport r) {
        phaseActive.get(r.phase()).set(0);
        phaseSeconds.get(r.phase())[0] = r.seconds();
    }

    /** Every load round of the run (a retried round, a reconciliation or a reconnect starts another): the counters are their sums. */
    private final java.util.List<LoadCounts> loadRounds = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void registerLoadCounters() {
        FunctionCounter.builder("pgbackfill.chats.read", loadRounds, l -> sum(l, LoadCounts::chats))
            .description("chats read from chat").register(registry);
        FunctionCounter.builder("pgbackfill.document.read", loadRounds, l -> sum(l, LoadCounts::documentBytes)).baseUnit("bytes")
            .description("bytes of chat documents read").register(registry);
        FunctionCounter.builder("pgbackfill.rows.written", loadRounds, l -> sum(l, LoadCounts::rowsWritten))
            .description("rows copied into chat_message, or values staged for chat.current_message_id (see pgbackfill_job)")
            .register(registry);
    }

    private static double sum(java.util.List<LoadCounts> rounds, ToDoubleFunction<LoadCounts> f) {
        return rounds.stream().mapToDouble(f).sum();
    }

    @Override public void loadCounters(LoadCounts round) { loadRounds.add(round); }

    @Override public void copyCommitted(long rows, long nanos) {
        io.micrometer.core.instrument.Timer.builder("pgbackfill.copy.commit").description("COPY transactions into chat_message, until committed")
            .publishPercentileHistogram().register(registry).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        io.micrometer.core.instrument.DistributionSummary.builder("pgbackfill.copy.batch.rows").description("rows per COPY transaction")
            .publishPercentileHistogram().register(registry).record(rows);
    }

    @Override public void settled(long rows) {
        Counter.builder("pgbackfill.rows.settled").description("rows (or values) of the ranges the reconciliation checked and settled")
            .register(registry).increment(rows);
    }

    @Override public void workerRead(String worker, long documentBytes) {
        Counter.builder("pgbackfill.worker.read").baseUnit("bytes").tag("worker", worker).description("document bytes read per worker")
            .register(registry).increment(documentBytes);
    }

    @Override public void retried(String what) {
        Counter.builder("pgbackfill.retries").tag("what", what).description("ranges and load rounds retried after a failure")
            .register(registry).increment();
    }

    @Override public <T> void ringOccupancy(T ring, ToDoubleFunction<T> used) {
        Gauge.builder("pgbackfill.ring.occupancy", ring, used).strongReference(true).description("ring slots in use").register(registry);
    }

    /** The range states the gauge reports, each always present (0 when no range is in it). */
    static final String[] RANGE_STATES = {"pending", "loading", "loaded", "settled"};
    private final Map<String, AtomicLong> ranges = new java.util.LinkedHashMap<>();
    private final AtomicLong walWritten = new AtomicLong();

    private void registerSampledGauges() {
        // strong references: Micrometer holds a gauge's object weakly, and a lambda nothing else holds is collected, leaving NaN
        for (String state : RANGE_STATES) {
            AtomicLong n = new AtomicLong();
            ranges.put(state, n);
            Gauge.builder("pgbackfill.ranges", n, AtomicLong::get).strongReference(true).tag("state", state)
                .description("ranges of the run by state (read from the control table every few seconds)").register(registry);
        }
        Gauge.builder("pgbackfill.wal.written", walWritten, AtomicLong::get).strongReference(true).baseUnit("bytes")
            .description("WAL written by the server since the run began (all sessions; read every few seconds)").register(registry);
    }

    @Override public void rangeStates(Map<String, Long> states) {
        ranges.forEach((state, n) -> n.set(states.getOrDefault(state, 0L)));
    }

    @Override public void walWritten(long bytes) { walWritten.set(Math.max(0, bytes)); }

    @Override public void held(Throttle throttle) {
        for (HoldCause cause : HoldCause.values()) {
            Gauge.builder("pgbackfill.held", throttle, t -> HoldCause.of(t.holdReason()) == cause ? 1 : 0)
                .tag("cause", cause.name().toLowerCase(java.util.Locale.ROOT)).description("1 while the run is held for this cause")
                .register(registry);
        }
        Gauge.builder("pgbackfill.max.rate", throttle, Throttle::maxBytesPerSecond).baseUnit("bytes")
            .description("the rate limit: document bytes read per second at most (0: no limit)").register(registry);
    }

    @Override public void rejected(String reason, long n) {
        Counter.builder("pgbackfill.rejections").tag("reason", reason).description("messages and chats recorded as rejected")
            .register(registry).increment(n);
    }
}
