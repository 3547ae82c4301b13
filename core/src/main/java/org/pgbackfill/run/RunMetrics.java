package org.pgbackfill.run;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The run's meters, registered once on the registry the caller gives (the CLI exposes it to
 * Prometheus; embedders bring their own). Names are stable: with Prometheus naming they become
 * {@code pgbackfill_chats_read_total}, {@code pgbackfill_document_read_bytes_total},
 * {@code pgbackfill_rows_staged_total}, {@code pgbackfill_rejections_total{reason}},
 * {@code pgbackfill_phase{phase}} (1 while the phase runs) and {@code pgbackfill_phase_duration_seconds{phase}}.
 */
public final class RunMetrics {
    private final MeterRegistry registry;
    private final Map<Phase, AtomicLong> phaseActive = new EnumMap<>(Phase.class);
    private final Map<Phase, double[]> phaseSeconds = new EnumMap<>(Phase.class);

    public RunMetrics(MeterRegistry registry) {
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
    }

    public MeterRegistry registry() { return registry; }

    void phaseStarted(Phase p) { phaseActive.get(p).set(1); }

    void phaseFinished(PhaseReport r) {
        phaseActive.get(r.phase()).set(0);
        phaseSeconds.get(r.phase())[0] = r.seconds();
    }

    /** Counts read by the load phase, exposed as monotonic counters. */
    public <T> void loadCounters(T source, ToDoubleFunction<T> chats, ToDoubleFunction<T> documentBytes, ToDoubleFunction<T> rowsStaged) {
        FunctionCounter.builder("pgbackfill.chats.read", source, chats).description("chats read from chat").register(registry);
        FunctionCounter.builder("pgbackfill.document.read", source, documentBytes).baseUnit("bytes")
            .description("bytes of chat documents read").register(registry);
        FunctionCounter.builder("pgbackfill.rows.staged", source, rowsStaged).description("rows committed to staging").register(registry);
    }

    public void rejected(String reason, long n) {
        Counter.builder("pgbackfill.rejections").tag("reason", reason).description("messages and chats recorded as rejected")
            .register(registry).increment(n);
    }
}
