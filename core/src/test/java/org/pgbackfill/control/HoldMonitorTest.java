package org.pgbackfill.control;

import org.pgbackfill.engine.RunStatus;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.state.ControlTables;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Why a run holds: paused first, then a standby's replay lag, then busy sessions. The lag is
 * simulated here, so that it can be set at will against a pause; {@code HoldMonitorStandbyTest}
 * reads it from a real streaming standby. The reason reaches the throttle, the progress listener
 * and the control table.
 */
class HoldMonitorTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void pauseThenReplicationLagDecideAndEveryoneIsTold() throws Exception {
        ControlTables control = new ControlTables("pgbackfill");
        long runId;
        try (Connection c = pg.connect()) {
            control.create(c);
            runId = control.startRun(c, 1_750_000_000L, 1, true);
            assertEquals(0.0, HoldMonitor.replicationLagSeconds(c), "no standby streams from the test server");
        }
        double[] lag = {45};
        List<String> told = new ArrayList<>();
        Throttle throttle = new Throttle(0, () -> false);
        ProgressListener progress = new ProgressListener() {
            @Override public void held(String reason) { told.add(reason); }
        };
        try (HoldMonitor m = new HoldMonitor(pg::connect, control, runId, "me", 30, 0, throttle, progress, c -> lag[0]).start();
             Connection c = pg.connect()) {
            assertEquals("replication lag 45.0 s is above the limit of 30.0 s", throttle.holdReason());
            assertEquals("replication lag 45.0 s is above the limit of 30.0 s", RunStatus.read(c, "pgbackfill").holdReason());
            assertEquals(org.pgbackfill.HoldCause.REPLICATION_LAG, org.pgbackfill.HoldCause.of(throttle.holdReason()));
            control.setPaused(c, true);
            Thread.sleep(1_500);
            assertTrue(throttle.holdReason().startsWith("paused"), throttle.holdReason());
            control.setPaused(c, false);
            lag[0] = 10;
            Thread.sleep(1_500);
            assertNull(throttle.holdReason(), "the standby caught up");
            assertNull(RunStatus.read(c, "pgbackfill").holdReason());
        }
        assertEquals(3, told.size(), told.toString());
        assertTrue(told.get(0).startsWith("replication lag") && told.get(1).startsWith("paused") && told.get(2) == null, told.toString());
    }
}
