package org.pgbackfill.metrics;

import io.micrometer.core.instrument.Metrics;
import org.junit.jupiter.api.Test;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.state.ControlTables;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RunMetrics#NONE}: what a run without a registry gets; it records nothing and touches nothing it is handed. */
class NoRunMetricsTest {
    @Test
    void withoutARegistryTheRunGetsTheNoOp() {
        assertSame(RunMetrics.NONE, RunMetrics.on(null));
        assertTrue(RunMetrics.on(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()) instanceof MicrometerRunMetrics);
    }

    @Test
    void recordsNothingAndCallsNothingBack() {
        int globalMeters = Metrics.globalRegistry.getMeters().size();
        AtomicInteger calls = new AtomicInteger();
        RunMetrics none = RunMetrics.NONE;
        none.phaseStarted(Phase.LOAD);
        none.phaseFinished(new PhaseReport(Phase.LOAD, 1, 1, 1));
        none.loadCounters(new RunMetrics.LoadCounts() {
            @Override public double chats() { calls.incrementAndGet(); return 1; }
            @Override public double documentBytes() { calls.incrementAndGet(); return 1; }
            @Override public double rowsWritten() { calls.incrementAndGet(); return 1; }
        });
        none.copyCommitted(10, 1000);
        none.settled(10);
        none.workerRead("reader-0", 100);
        none.retried("range");
        none.ringOccupancy(calls, c -> c.incrementAndGet());
        none.rangeStates(Map.of("loaded", 1L));
        none.walWritten(100);
        none.held(new Throttle(0, () -> { calls.incrementAndGet(); return false; }));
        none.rejected("EXTRACTION_FAILED", 1);
        System.gc();
        assertEquals(0, calls.get(), "the no-op never reads what it is handed");
        assertEquals(globalMeters, Metrics.globalRegistry.getMeters().size(), "nor registers a meter anywhere");
    }

    @Test
    void theSamplerStartsNoThreadAndSendsNoQueryForTheNoOp() {
        AtomicInteger connections = new AtomicInteger();
        int before = samplerThreads();
        try (MetricsSampler sampler = new MetricsSampler(() -> { connections.incrementAndGet(); throw new java.sql.SQLException("no database"); },
                new ControlTables("pgbackfill"), RunMetrics.NONE, 0)) {
            sampler.run(1);
            assertEquals(before, samplerThreads(), "no sampler thread");
        }
        assertEquals(0, connections.get(), "no connection asked for");
    }

    private static int samplerThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pgbackfill-metrics")).count();
    }
}
