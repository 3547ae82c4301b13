package org.pgbackfill.engine;

import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.state.ControlTables;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gentle on a live database: pause holds the run with no rows moving and resume continues it;
 * --max-rate keeps the read rate at or under the limit; too many active sessions hold the run.
 * (Only upper bounds and "did it move" are asserted: timing on a shared machine is noisy.)
 */
class HoldTest {
    @RegisterExtension
    PostgresFixture pg = new PostgresFixture();

    static final long NOW = 1_750_000_000L;

    private void seed(long bytes) throws Exception {
        try (Connection c = pg.connect(); Connection c2 = pg.connect()) {
            new ChatSeeder(GeneratorOptions.builder().seed(3).targetBytes(bytes).meanDocumentBytes(16 * 1024)
                .edgeCases(OnlineBackfillTest.EDGE_CASES).build()).seed(List.of(c, c2));
        }
    }

    private long rows(Connection c) throws Exception {
        if (PipelineAssertions.single(c, "SELECT to_regclass('chat_message') IS NULL").equals("t")) return 0;
        return Long.parseLong(PipelineAssertions.single(c, "SELECT count(*) FROM chat_message"));
    }

    private String status(Connection c) throws Exception {
        return RunStatus.read(c, "pgbackfill").describe();
    }

    @Test
    void pauseHoldsTheRunWithNoRowsMovingAndResumeContinuesIt() throws Exception {
        seed(20_000_000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection c = pg.connect()) {
            // slow enough (5 MB/s) that the run is still loading when it is paused
            Future<RunReport> run = pool.submit(() -> new Backfill(BackfillConfig.builder().database(pg.url()).workers(2).nowEpoch(NOW)
                .maxRateBytesPerSecond(5_000_000).maxTransactionRows(100).build()).run());
            while (rows(c) == 0) Thread.sleep(50);
            assertTrue(new ControlTables("pgbackfill").setPaused(c, true) > 0);
            Thread.sleep(2_500);   // a second for the processes to see it, a second for the writers' last commit
            long held = rows(c);
            assertTrue(status(c).contains("PAUSED"), status(c));
            Thread.sleep(2_000);
            assertEquals(held, rows(c), "no rows move while the run is paused");
            assertTrue(status(c).contains("held: paused"), status(c));
            assertTrue(!run.isDone(), "the run waits");
            new ControlTables("pgbackfill").setPaused(c, false);
            RunReport report = run.get();
            assertTrue(rows(c) > held, "the run continued after resume");
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
            assertTrue(report.rowsWritten() > 0);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void maxRateKeepsTheReadRateAtOrUnderTheLimit() throws Exception {
        seed(12_000_000);
        long limit = 4_000_000;   // bytes per second
        RunReport report = new Backfill(BackfillConfig.builder().database(pg.url()).workers(2).nowEpoch(NOW)
            .maxRateBytesPerSecond(limit).build()).run();
        PhaseReport load = report.phases().stream().filter(p -> p.phase() == Phase.LOAD).findFirst().orElseThrow();
        double rate = report.documentBytes() / load.seconds();
        assertTrue(report.documentBytes() > 10_000_000, "enough data to measure: " + report.documentBytes());
        assertTrue(rate <= limit * 1.02, String.format("read %.2f MB/s with --max-rate %.2f MB/s", rate / 1e6, limit / 1e6));
    }

    @Test
    void tooManyActiveSessionsHoldTheRunUntilTheyEnd() throws Exception {
        seed(5_000_000);
        ExecutorService busy = Executors.newFixedThreadPool(3);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        List<Connection> sessions = new ArrayList<>();
        try (Connection c = pg.connect()) {
            for (int i = 0; i < 3; i++) sessions.add(pg.connect());
            for (Connection s : sessions) {
                busy.submit(() -> {
                    try (Statement st = s.createStatement()) {
                        st.execute("SELECT pg_sleep(6)");   // "the application" keeps three sessions active for a while
                    }
                    return null;
                });
            }
            Thread.sleep(500);
            long t0 = System.nanoTime();
            io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            Future<RunReport> run = pool.submit(() -> new Backfill(BackfillConfig.builder().database(pg.url()).workers(2).nowEpoch(NOW)
                .maxActiveSessions(2).meterRegistry(meters).build()).run());
            Thread.sleep(2_500);
            assertEquals(0, rows(c), "held while other clients have 3 active sessions > 2");
            assertEquals(1.0, meters.get("pgbackfill.held").tag("cause", "active_sessions").gauge().value(), "the metric says why");
            assertEquals(0.0, meters.get("pgbackfill.held").tag("cause", "paused").gauge().value());
            assertTrue(status(c).contains("held: 3 active sessions of other clients on the database, above the limit of 2"),
                status(c));
            run.get();
            assertTrue((System.nanoTime() - t0) / 1e9 > 4, "the run waited for the sessions to end");
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
        } finally {
            busy.shutdownNow();
            pool.shutdownNow();
            for (Connection s : sessions) s.close();
        }
    }
}
