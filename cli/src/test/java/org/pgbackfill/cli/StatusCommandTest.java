package org.pgbackfill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pgbackfill status`: nothing yet, an unfinished run, a finished one; text and JSON. */
class StatusCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void showsNothingThenAnUnfinishedRunThenTheFinishedOne() throws Exception {
        DatabaseUrl url = pg.createDatabase("status", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials()));
        // and what to do about it
        assertTrue(console.output().contains("no pgbackfill run") && console.output().contains("pgbackfill run starts one"), console.output());

        Backfill[] stopped = new Backfill[1];
        org.pgbackfill.engine.RunStatus[] whileLoading = new org.pgbackfill.engine.RunStatus[1];
        stopped[0] = new Backfill(BackfillConfig.builder().database(url).workers(1).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW)
            .progress(new ProgressListener() {
                @Override public void phaseStarted(Phase phase) {
                    // what status says while this process loads: read as another machine would, from the control tables
                    if (phase == Phase.LOAD) {
                        try (Connection c = PostgresFixture.connect(url)) {
                            whileLoading[0] = org.pgbackfill.engine.RunStatus.read(c, "pgbackfill");
                        } catch (java.sql.SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    if (phase == Phase.SETTLE) stopped[0].stop();
                }
            }).build());
        assertThrows(BackfillException.class, () -> stopped[0].run());
        // issue #14: "phase" said "plan" while loading; now the current phase and the last completed one are apart
        JsonNode loading = new ObjectMapper().readTree(whileLoading[0].toJson());
        assertEquals("running", loading.get("state").asText(), loading.toString());
        assertEquals("load", loading.get("current_phase").asText(), loading.toString());
        assertEquals("plan", loading.get("last_completed_phase").asText(), loading.toString());
        assertTrue(whileLoading[0].describe().startsWith("run 1: running, now in load (last phase completed: plan)"), whileLoading[0].describe());

        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials(), "--json"));
        String out = console.output();
        JsonNode unfinished = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
        assertEquals(false, unfinished.get("finished").asBoolean());
        // the stopping process is gone: a stopped run has no current phase, no rate and no ETA
        assertEquals("stopped", unfinished.get("state").asText(), unfinished.toString());
        assertTrue(unfinished.get("current_phase").isNull(), unfinished.toString());
        assertEquals("load", unfinished.get("last_completed_phase").asText());
        assertTrue(unfinished.get("megabytes_per_second").isNull() && unfinished.get("load_eta_seconds").isNull(), unfinished.toString());
        assertTrue(unfinished.get("ranges").get("loaded").asLong() > 0, unfinished.toString());
        assertTrue(unfinished.get("rows_written").asLong() > 0);
        assertTrue(unfinished.get("rejections").size() > 0, "rejections are counted while the run is unfinished");
        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials()));
        assertTrue(console.output().contains("run 1: stopped (last phase completed: load)"), console.output());
        String stoppedText;
        try (Connection c = PostgresFixture.connect(url)) {
            stoppedText = Advice.status(org.pgbackfill.engine.RunStatus.read(c, "pgbackfill"));   // as the status command prints it
        }
        assertTrue(stoppedText.contains("run 1: stopped (last phase completed: load)") && stoppedText.contains("run the same command again"),
            stoppedText);
        assertFalse(stoppedText.contains("MB/s") || stoppedText.contains("done in about"), stoppedText);

        new Backfill(BackfillConfig.builder().database(url).workers(2).build()).run();
        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials()));
        String text = console.output();
        assertTrue(text.contains("run 1: finished") && text.contains("NUL_IN_TEXT"), text);
    }

    @Test
    void unreachableServerExitsThree() {
        assertEquals(3, Main.execute("status", "--database-url", "postgresql://u:hunter2@127.0.0.1:1/x"));
        assertTrue(!console.output().contains("hunter2"), console.output());
    }
}
