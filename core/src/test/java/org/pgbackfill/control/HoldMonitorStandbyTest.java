package org.pgbackfill.control;

import org.junit.jupiter.api.Test;
import org.pgbackfill.HoldCause;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.RunStatus;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.StreamingStandby;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replication-lag probe and the monitor against a real streaming standby ({@link
 * StreamingStandby}), where {@code HoldMonitorTest} simulates the lag: the probe reads 0 from a
 * standby that has caught up, a positive lag that keeps growing while the standby's replay is
 * paused (it still receives the WAL: the primary tells how far behind its replay is), and 0 again
 * once it has replayed everything; the monitor holds on that lag and lets go when it is gone.
 * Every major version: the lag is what the primary's pg_stat_replication makes of the standby's
 * reports, computed by each server's own walsender.
 */
@VersionMatrix
class HoldMonitorStandbyTest {
    @Test
    void theProbeReadsARealStandbysLagAndTheMonitorHoldsUntilItsReplayCatchesUp() throws Exception {
        try (StreamingStandby servers = StreamingStandby.start()) {
            DatabaseUrl url = servers.createDatabase("probe");
            ControlTables control = new ControlTables("pgbackfill");
            long runId;
            try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                control.create(c);
                runId = control.startRun(c, 1_750_000_000L, 1, true);
                st.execute("CREATE TABLE written (x int)");
            }
            StreamingStandby.SqlDouble probe = () -> {
                try (Connection c = PostgresFixture.connect(url)) {
                    return HoldMonitor.replicationLagSeconds(c);
                }
            };
            servers.awaitReplayed(30_000);
            StreamingStandby.awaitLag(20_000, "no lag from a standby that has caught up", probe, s -> s == 0);

            servers.pauseReplay();
            try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                st.execute("INSERT INTO written VALUES (1)");   // WAL the standby receives but does not apply
            }
            double first = StreamingStandby.awaitLag(20_000, "a lag above 1 s while the standby's replay is paused", probe, s -> s > 1);
            Thread.sleep(3_000);   // the standby reports once a second: the lag moves in steps
            double later = probe.read();
            System.out.printf("[%s] replay paused: the probe read %.2f s, then %.2f s 3 s later%n", servers.version(), first, later);
            assertTrue(later > first + 1, "the lag grows while replay stays paused, with no more WAL: " + first + " s, then " + later + " s");

            List<String> told = new CopyOnWriteArrayList<>();
            Throttle throttle = new Throttle(0, () -> false);
            ProgressListener progress = new ProgressListener() {
                @Override public void held(String reason) { told.add(String.valueOf(reason)); }
            };
            try (HoldMonitor m = new HoldMonitor(() -> PostgresFixture.connect(url), control, runId, "me", 1, 0, throttle, progress).start();
                 Connection c = PostgresFixture.connect(url)) {
                String reason = throttle.holdReason();
                assertTrue(reason != null && reason.matches("replication lag \\d+\\.\\d s is above the limit of 1\\.0 s"), reason);
                assertEquals(HoldCause.REPLICATION_LAG, HoldCause.of(reason));
                assertEquals(reason, RunStatus.read(c, "pgbackfill").holdReason(), "the run's row says why it holds");

                servers.resumeReplay();
                servers.awaitReplayed(30_000);
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (throttle.holdReason() != null) {
                    assertTrue(System.nanoTime() < deadline, "still held 20 s after the standby caught up: " + throttle.holdReason());
                    Thread.sleep(100);
                }
                Thread.sleep(1_500);   // the monitor's next check writes what it decided
                assertNull(RunStatus.read(c, "pgbackfill").holdReason());
                StreamingStandby.awaitLag(20_000, "no lag once the standby has replayed everything", probe, s -> s == 0);
            }
            assertEquals("null", told.get(told.size() - 1), "the progress line is told the hold ended: " + told);
        }
    }
}
