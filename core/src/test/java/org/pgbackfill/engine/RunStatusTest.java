package org.pgbackfill.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.NextStep;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code status} says about the load's speed and end (issue #14: the ETA appeared only once a range was loaded):
 * a rate and an ETA from what the ranges being read record every few seconds, and none for a run that is paused or
 * that no process works on; control tables of earlier versions, which record no progress, still read.
 */
class RunStatusTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static final String OWNER = "pgbackfill:testhost:1:abc";

    @Test
    void rateAndEtaComeFromTheRangesBeingReadAndOnlyWhileAProcessLoads() throws Exception {
        DatabaseUrl url = pg.createDatabase("status_rate", "");
        ControlTables control = new ControlTables("pgbackfill");
        try (Connection c = PostgresFixture.connect(url); Connection process = PostgresFixture.connect(url)) {
            control.create(c);
            long run = control.startRun(c, 1_750_000_000L, 2, false);
            control.phase(c, run, Phase.PLAN);
            control.saveRanges(c, run, List.of(new KeyRange(0, null, "b", 1000), new KeyRange(1, "b", "d", 1000),
                new KeyRange(2, "d", "f", 1000), new KeyRange(3, "f", null, 1000)));
            // a process loading the run: its sessions carry its name
            try (Statement st = process.createStatement()) {
                st.execute("SET application_name = '" + OWNER + "'");
            }
            ControlTables.Claim a = control.leases().claimRange(process, run, OWNER, 60);
            ControlTables.Claim b = control.leases().claimRange(process, run, OWNER, 60);

            // claimed, nothing recorded yet: loading, but no rate to tell
            RunStatus claimed = RunStatus.read(c, "pgbackfill");
            assertEquals("load", claimed.currentPhase());
            assertEquals(-1, claimed.megabytesPerSecond());
            assertEquals(-1, claimed.loadEtaSeconds());
            assertTrue(claimed.describe().contains("load: about 0% of the planned documents read, rate: measuring\n"), claimed.describe());

            // 2.5 s into each range: 250 of its 1000 planned units and 5 MB of documents read; no range is loaded yet
            control.leases().recordProgress(process, run, OWNER, List.of(new ControlTables.ReadProgress(a, 250, 5_000_000, 2.5, false),
                new ControlTables.ReadProgress(b, 250, 5_000_000, 2.5, false)));
            RunStatus reading = RunStatus.read(c, "pgbackfill");
            assertEquals(0, reading.loadedPlannedBytes(), "no range is loaded: the old ETA had nothing to go on");
            assertEquals(4.0, reading.megabytesPerSecond(), 1e-9, "2 MB/s per range, two ranges being read");
            // 3500 planned units left at 100 units/s per range, two ranges
            assertEquals(17.5, reading.loadEtaSeconds(), 1e-9);
            String text = reading.describe();
            assertTrue(text.contains("load: about 13% of the planned documents read, 4.0 MB/s now, load done in about 18 s\n"), text);
            assertTrue(text.contains("(and 10.0 MB read by the ranges loading now)"), text);
            JsonNode json = new ObjectMapper().readTree(reading.toJson());
            assertEquals(4.0, json.get("megabytes_per_second").asDouble(), 1e-9, json.toString());
            assertEquals(17.5, json.get("load_eta_seconds").asDouble(), 1e-9, json.toString());
            assertEquals(2, json.get("ranges_reading").asLong(), json.toString());
            assertEquals(500, json.get("reading_planned_bytes").asLong(), json.toString());

            // one range read whole and committed: it counts as loaded, and its rate still counts (the other reader is
            // between two ranges for a moment)
            control.leases().recordProgress(process, run, OWNER, List.of(new ControlTables.ReadProgress(a, 1000, 20_000_000, 10, true)));
            control.leases().rangeLoaded(process, run, a, OWNER, 10, 100, 20_000_000);
            RunStatus oneLoaded = RunStatus.read(c, "pgbackfill");
            assertEquals(1, oneLoaded.reading().ranges(), "the range read whole is no longer being read");
            assertEquals(1250, oneLoaded.plannedUnitsDone());
            assertEquals(2.0, oneLoaded.megabytesPerSecond(), 1e-9);
            assertEquals(2750 / 100.0, oneLoaded.loadEtaSeconds(), 1e-9);

            // paused: nothing moves, so no rate and no ETA
            control.setPaused(c, true);
            RunStatus paused = RunStatus.read(c, "pgbackfill");
            assertEquals(RunStatus.State.PAUSED, paused.state());
            assertEquals(-1, paused.megabytesPerSecond());
            assertEquals(-1, paused.loadEtaSeconds());
            assertFalse(paused.describe().contains("MB/s") || paused.describe().contains("done in about"), paused.describe());
            control.setPaused(c, false);
        }
        // the process is gone (its leases not yet lapsed): stopped, no rate, no ETA
        try (Connection c = PostgresFixture.connect(url)) {
            RunStatus stopped = RunStatus.read(c, "pgbackfill");
            assertEquals(RunStatus.State.STOPPED, stopped.state());
            assertEquals(-1, stopped.megabytesPerSecond());
            assertEquals(-1, stopped.loadEtaSeconds());
            String text = stopped.describe();
            assertFalse(text.contains("MB/s") || text.contains("done in about") || text.contains("measuring"), text);
            // what the process had read of range 1 is lost with it: only the loaded range counts
            assertTrue(text.contains("load: about 25% of the planned documents read\n") && !text.contains("loading now"), text);
            JsonNode json = new ObjectMapper().readTree(stopped.toJson());
            assertTrue(json.get("megabytes_per_second").isNull() && json.get("load_eta_seconds").isNull(), json.toString());
        }
    }

    /**
     * An online run that built chat_message and whose process ended as it should (waiting for finish) read as "stopped:
     * run the same command again to resume where it stopped", as if it had failed.
     */
    @Test
    void anOnlineRunWaitingForItsCutOverIsReadyNotStopped() throws Exception {
        DatabaseUrl url = pg.createDatabase("status_ready", "");
        ControlTables control = new ControlTables("pgbackfill");
        try (Connection c = PostgresFixture.connect(url)) {
            control.create(c);
            long run = control.startRun(c, 1_750_000_000L, 2, true);
            control.phase(c, run, Phase.SETTLE);
            RunStatus settled = RunStatus.read(c, "pgbackfill");
            assertEquals(RunStatus.State.STOPPED, settled.state(), "stopped before its build: it must be run again");
            assertEquals(List.of(NextStep.RESUME, NextStep.FINISH), settled.nextSteps(), settled.describe());

            control.phase(c, run, Phase.BUILD);
            RunStatus ready = RunStatus.read(c, "pgbackfill");
            assertEquals(RunStatus.State.READY, ready.state());
            String text = ready.describe();
            assertTrue(text.startsWith("run 1: ready (last phase completed: build)"), text);
            assertTrue(text.contains("nothing is wrong"), text);
            assertEquals(List.of(NextStep.CATCH_UP, NextStep.FINISH), ready.nextSteps(), "no RESUME: nothing went wrong");
            assertEquals("ready", new ObjectMapper().readTree(ready.toJson()).get("state").asText());
            assertEquals(null, ready.currentPhase());
        }
    }

    @Test
    void aControlTableFromAnEarlierVersionReadsWithoutProgress() throws Exception {
        DatabaseUrl url = pg.createDatabase("status_old", "");
        ControlTables control = new ControlTables("pgbackfill");
        try (Connection c = PostgresFixture.connect(url); Connection process = PostgresFixture.connect(url)) {
            control.create(c);
            try (Statement st = c.createStatement()) {
                // the range table as versions before the progress columns made it (the run table too)
                st.execute("ALTER TABLE pgbackfill.range DROP COLUMN claimed_at, DROP COLUMN read_units, DROP COLUMN read_bytes, "
                    + "DROP COLUMN read_seconds, DROP COLUMN read_done, DROP COLUMN read_at");
                st.execute("ALTER TABLE pgbackfill.run DROP COLUMN toast_compression");
                st.execute("INSERT INTO pgbackfill.run (run_id, now_epoch, workers, phase) VALUES (1, 1750000000, 2, 'plan')");
                st.execute("INSERT INTO pgbackfill.range (run_id, range_id, lo, hi, estimated_bytes, state, owner, lease_until, attempt) "
                    + "VALUES (1, 0, NULL, 'm', 1000, 'loading', '" + OWNER + "', now() + interval '1 minute', 1), "
                    + "(1, 1, 'm', NULL, 1000, 'merged', NULL, NULL, 1)");
            }
            try (Statement st = process.createStatement()) {
                st.execute("SET application_name = '" + OWNER + "'");
            }
            RunStatus status = RunStatus.read(c, "pgbackfill");
            assertEquals(RunStatus.State.RUNNING, status.state());
            assertEquals(0, status.reading().ranges() + status.reading().plannedUnitsRead());
            assertEquals(-1, status.loadEtaSeconds());
            assertTrue(status.describe().contains("ranges: 2, 1 loading, 1 settled"), status.describe());
            assertTrue(status.describe().contains("rate: measuring"), status.describe());
        }
    }

    /** Through a real load: status on another connection has a rate and an ETA while the first range is still being read. */
    @Test
    void aRealLoadShowsItsEtaBeforeAnyRangeIsLoaded() throws Exception {
        DatabaseUrl url = pg.createDatabase("status_live", "");
        try (Connection c = PostgresFixture.connect(url)) {
            new ChatSeeder(GeneratorOptions.builder().seed(3).chats(400).meanDocumentBytes(16 << 10).sizeSigma(0.5).build()).seed(c);
        }
        AtomicReference<RunStatus> seen = new AtomicReference<>();
        Backfill backfill = new Backfill(BackfillConfig.builder().database(url).workers(1).rangesPerWorker(1)
            .maxRateBytesPerSecond(1_000_000).build());   // about 6 MB of documents in one range: about 6 s
        CompletableFuture<RunReport> run = CompletableFuture.supplyAsync(() -> {
            try {
                return backfill.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (Connection c = PostgresFixture.connect(url)) {
            while (!run.isDone() && seen.get() == null) {
                RunStatus s = RunStatus.read(c, "pgbackfill");
                if (s != null && s.loadedPlannedBytes() == 0 && s.loadEtaSeconds() >= 0) seen.set(s);
                Thread.sleep(200);
            }
        } finally {
            if (!run.isDone()) backfill.stop();
            try {
                run.get(60, TimeUnit.SECONDS);
            } catch (Exception stopped) {
                // stopped on purpose once seen
            }
        }
        RunStatus s = seen.get();
        assertNotNull(s, "status never gave an ETA while the only range was being read");
        assertTrue(s.megabytesPerSecond() > 0.2 && s.megabytesPerSecond() < 3, "about 1 MB/s (--max-rate): " + s.megabytesPerSecond());
        assertTrue(s.describe().contains("MB/s now, load done in about "), s.describe());
    }
}
