package org.pgbackfill.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.StreamingStandby;
import org.pgbackfill.testing.VersionMatrix;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgbackfill.testing.StreamingStandby.status;

/**
 * --max-replication-lag against a real streaming standby ({@link StreamingStandby}), for the
 * chat_message job: the run loads while the standby keeps up; once the standby's replay is paused
 * the run's own writes make its lag grow, the run holds (status says "replication lag … above the
 * limit of …" with the lag the primary reports) and no more rows are loaded; once replay resumes the
 * standby catches up, the hold ends and the run finishes with the reference's result, which the
 * standby then holds too. The log says the hold once, though its lag grows every second. {@code
 * HoldMonitorStandbyTest} checks the probe's readings themselves.
 */
@VersionMatrix
class ReplicationLagHoldTest {
    static final long NOW = 1_750_000_000L;
    static final double LIMIT = 2;

    private static StreamingStandby servers;

    @BeforeAll
    static void start() throws Exception {
        servers = StreamingStandby.start();
    }

    @AfterAll
    static void stop() {
        if (servers != null) servers.close();
    }

    private static long rows(Connection c) throws Exception {
        if (PipelineAssertions.single(c, "SELECT to_regclass('chat_message') IS NULL").equals("t")) return 0;
        return Long.parseLong(PipelineAssertions.single(c, "SELECT count(*) FROM chat_message"));
    }

    @Test
    void aLaggingStandbyHoldsTheRunWithNoRowsMovingUntilItsReplayCatchesUp() throws Exception {
        DatabaseUrl url = servers.createDatabase("lag");
        try (Connection c = PostgresFixture.connect(url); Connection c2 = PostgresFixture.connect(url)) {
            new ChatSeeder(GeneratorOptions.builder().seed(5).targetBytes(10_000_000).meanDocumentBytes(16 * 1024)
                .edgeCases(OnlineBackfillTest.EDGE_CASES).build()).seed(List.of(c, c2));
        }
        servers.awaitReplayed(60_000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        PrintStream err = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();   // the run's log (slf4j-simple writes to System.err)
        System.setErr(new PrintStream(new OutputStream() {
            @Override public void write(int b) {
                err.write(b);
                synchronized (logged) { logged.write(b); }
            }

            @Override public void write(byte[] b, int off, int len) {
                err.write(b, off, len);
                synchronized (logged) { logged.write(b, off, len); }
            }
        }, true, StandardCharsets.UTF_8));
        try (Connection c = PostgresFixture.connect(url)) {
            long t0 = System.nanoTime();
            // slow enough (1 MB/s of documents) that the run is still loading when the hold comes
            Future<RunReport> run = pool.submit(() -> new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(NOW)
                .maxRateBytesPerSecond(1_000_000).maxTransactionRows(100).maxReplicationLagSeconds(LIMIT).build()).run());
            while (rows(c) == 0) {
                assertFalse(run.isDone(), "the run ended before it loaded a row");
                Thread.sleep(50);
            }
            assertFalse(status(c).contains("held:"), "a standby that keeps up does not hold the run: " + status(c));

            StreamingStandby.Held held = servers.pauseAndAwaitHold(c, run, LIMIT, () -> rows(c), "rows");
            long heldRows = held.done();

            servers.resumeReplay();
            RunReport report = run.get(120, TimeUnit.SECONDS);
            System.out.printf("[%s] chat_message run with a lagging standby: held at %d rows (lag %.1f s), finished with %d in %.1f s%n",
                servers.version(), heldRows, held.lag(), report.rowsWritten(), (System.nanoTime() - t0) / 1e9);
            assertTrue(rows(c) > heldRows, "the run went on after the standby caught up");
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
            assertFalse(status(c).contains("held:"), status(c));
        } finally {
            pool.shutdownNow();
            System.setErr(err);
        }
        List<String> holds;
        synchronized (logged) {
            holds = logged.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("Backfill - holding: ")
                || l.contains("Backfill - no longer held")).map(l -> l.replaceAll(".*Backfill - ", "")).toList();
        }
        assertTrue(!holds.isEmpty() && holds.get(0).startsWith("holding: replication lag"), holds.toString());
        for (int i = 1; i < holds.size(); i++) {
            assertFalse(holds.get(i).startsWith("holding:") && holds.get(i - 1).startsWith("holding:"),
                "the log says a hold once, not each new lag: " + holds);
        }
        servers.awaitReplayed(60_000);
        try (Connection s = PostgresFixture.connect(servers.standbyUrl("lag"))) {
            PipelineAssertions.assertFinishedRun(s, ReferenceBackfill.run(s, NOW), "pgbackfill");
        }
    }
}
