package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.StreamingStandby;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
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
 * current_message_id job, as {@code ReplicationLagHoldTest} checks it for the first: the run
 * stages values while the standby keeps up; once the standby's replay is paused the run's own
 * writes make its lag grow, the run holds (status says "replication lag … above the limit of …")
 * and no more values are staged; once replay resumes the run finishes with the reference rule's
 * values, which the standby then holds too.
 */
@VersionMatrix
class CurrentMessageReplicationLagHoldTest {
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

    @Test
    void aLaggingStandbyHoldsTheRunWithNoValueMovingUntilItsReplayCatchesUp() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.seededAt856c5b02fb54(servers.createDatabase("lag"), 5, 1500);
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url);
        servers.awaitReplayed(60_000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection c = PostgresFixture.connect(url)) {
            long t0 = System.nanoTime();
            // slow enough (1 MB/s of documents) that the run is still staging values when the hold comes
            Future<RunReport> run = pool.submit(() -> new Backfill(CurrentMessageJobTest.config(url, 2, null)
                .maxRateBytesPerSecond(1_000_000).maxReplicationLagSeconds(LIMIT).build()).run());
            while (CurrentMessageHoldTest.staged(c) == 0) {
                assertFalse(run.isDone(), "the run ended before it staged a value");
                Thread.sleep(20);
            }
            assertFalse(status(c).contains("held:"), "a standby that keeps up does not hold the run: " + status(c));

            StreamingStandby.Held held = servers.pauseAndAwaitHold(c, run, LIMIT, () -> CurrentMessageHoldTest.staged(c), "values");
            long heldValues = held.done();

            servers.resumeReplay();
            RunReport report = run.get(120, TimeUnit.SECONDS);
            System.out.printf("[%s] current_message_id run with a lagging standby: held at %d staged (lag %.1f s), "
                + "finished with %d values in %.1f s%n", servers.version(), heldValues, held.lag(), report.rowsWritten(), (System.nanoTime() - t0) / 1e9);
            CurrentMessageJobTest.assertExact(url, expected);
            assertEquals(expected.values().size(), report.rowsWritten());
            assertFalse(status(c).contains("held:"), status(c));
        } finally {
            pool.shutdownNow();
        }
        servers.awaitReplayed(60_000);
        CurrentMessageJobTest.assertExact(servers.standbyUrl("lag"), expected);
    }
}
