package org.pgbackfill.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Micrometer meters: the load's counters stay monotonic and complete across load rounds (a retried round, a
 * reconciliation, a reconnect), and every series README.md and the Grafana dashboard name is registered under that name.
 */
class MicrometerRunMetricsTest {
    @Test
    void loadCountersAddUpEveryRound() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RunMetrics metrics = RunMetrics.on(registry);
        AtomicLong first = new AtomicLong(), second = new AtomicLong();
        metrics.loadCounters(counts(first));
        first.set(10);
        assertEquals(10, registry.get("pgbackfill.chats.read").functionCounter().count());
        metrics.loadCounters(counts(second));
        second.set(5);
        assertEquals(15, registry.get("pgbackfill.chats.read").functionCounter().count());
        assertEquals(150, registry.get("pgbackfill.document.read").functionCounter().count());
        assertEquals(30, registry.get("pgbackfill.rows.written").functionCounter().count());
        assertEquals(1, registry.find("pgbackfill.chats.read").functionCounters().size(), "one meter, not one per round");
    }

    /** The rows counters keep their names for both jobs; the job series says which job ran and what they count. */
    @Test
    void theJobSeriesLabelsWhatTheRowsCountersCount() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RunMetrics.on(registry).job("current_message_id", "values");
        assertEquals(1, registry.get("pgbackfill.job").tag("job", "current_message_id").tag("writes", "values").gauge().value());
        assertEquals(1, registry.find("pgbackfill.job").gauges().size());
    }

    @Test
    void everySeriesTheReadmeAndTheDashboardNameIsRegistered() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RunMetrics metrics = RunMetrics.on(registry);
        callEveryMethod(metrics);
        Set<String> registered = new TreeSet<>();
        for (Meter m : registry.getMeters()) registered.add(prometheusName(m));

        Set<String> documented = new TreeSet<>();
        Matcher readme = Pattern.compile("(?m)^\\| `(pgbackfill_[a-z_]+)").matcher(Files.readString(Path.of("../README.md")));
        while (readme.find()) documented.add(readme.group(1));
        assertTrue(documented.size() >= 15, "README's metrics table was found: " + documented);
        Matcher dashboard = Pattern.compile("pgbackfill_[a-z_]+").matcher(Files.readString(Path.of("../src/monitoring/grafana-dashboard.json")));
        Set<String> charted = new TreeSet<>();
        while (dashboard.find()) charted.add(dashboard.group().replaceAll("_(bucket|count|sum)$", ""));
        assertTrue(charted.size() >= 10, "the dashboard's series were found: " + charted);

        Set<String> missing = new TreeSet<>(documented);
        missing.addAll(charted);
        missing.removeAll(registered);
        assertTrue(missing.isEmpty(), "named in README.md or the dashboard, not registered: " + missing + "; registered: " + registered);
        Set<String> undocumented = new TreeSet<>(registered);
        undocumented.removeAll(documented);
        assertTrue(undocumented.isEmpty(), "registered, not in README.md's table: " + undocumented);
    }

    /** The name Prometheus shows for a meter (what micrometer-registry-prometheus does, for the kinds the run uses). */
    private static String prometheusName(Meter m) {
        String name = m.getId().getName().replace('.', '_');
        String unit = m.getId().getBaseUnit();
        if (m.getId().getType() == Meter.Type.TIMER) unit = "seconds";
        if (unit != null && !name.endsWith("_" + unit)) name += "_" + unit;
        if (m.getId().getType() == Meter.Type.COUNTER) name += "_total";
        return name;
    }

    static void callEveryMethod(RunMetrics metrics) {
        metrics.job("current_message_id", "values");
        metrics.phaseStarted(Phase.LOAD);
        metrics.phaseFinished(new PhaseReport(Phase.LOAD, 1.5, 10, 100));
        metrics.loadCounters(counts(new AtomicLong(3)));
        metrics.copyCommitted(10, 1_000_000);
        metrics.settled(10);
        metrics.workerRead("reader-0", 100);
        metrics.retried("range");
        metrics.ringOccupancy(new AtomicLong(4), AtomicLong::get);
        metrics.rangeStates(Map.of("loaded", 2L));
        metrics.walWritten(1000);
        metrics.held(new Throttle(0, () -> false));
        metrics.rejected("EXTRACTION_FAILED", 1);
    }

    static RunMetrics.LoadCounts counts(AtomicLong chats) {
        return new RunMetrics.LoadCounts() {
            @Override public double chats() { return chats.get(); }
            @Override public double documentBytes() { return chats.get() * 10; }
            @Override public double rowsWritten() { return chats.get() * 2; }
        };
    }
}
