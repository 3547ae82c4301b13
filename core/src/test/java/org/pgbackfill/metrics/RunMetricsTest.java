package org.pgbackfill.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The load's counters stay monotonic and complete across load rounds (a retried round, a reconciliation, a reconnect). */
class RunMetricsTest {
    @Test
    void loadCountersAddUpEveryRound() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RunMetrics metrics = new RunMetrics(registry);
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

    private static RunMetrics.LoadCounts counts(AtomicLong chats) {
        return new RunMetrics.LoadCounts() {
            @Override public double chats() { return chats.get(); }
            @Override public double documentBytes() { return chats.get() * 10; }
            @Override public double rowsWritten() { return chats.get() * 2; }
        };
    }
}
