package org.pgbackfill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.run.Backfill;
import org.pgbackfill.run.BackfillConfig;
import org.pgbackfill.run.BackfillException;
import org.pgbackfill.run.Phase;
import org.pgbackfill.run.ProgressListener;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertTrue(console.output().contains("no pgbackfill run"), console.output());

        Backfill[] stopped = new Backfill[1];
        stopped[0] = new Backfill(BackfillConfig.builder().database(url).workers(1).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW)
            .progress(new ProgressListener() {
                @Override public void phaseStarted(Phase phase) { if (phase == Phase.MERGE) stopped[0].stop(); }
            }).build());
        assertThrows(BackfillException.class, () -> stopped[0].run());
        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials(), "--json"));
        String out = console.output();
        JsonNode unfinished = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
        assertEquals(false, unfinished.get("finished").asBoolean());
        assertEquals("load", unfinished.get("phase").asText());
        assertTrue(unfinished.get("ranges").get("loaded").asLong() > 0, unfinished.toString());
        assertTrue(unfinished.get("rows_staged").asLong() > 0);
        assertTrue(unfinished.get("rejections").size() > 0, "rejections are counted while the run is unfinished");

        new Backfill(BackfillConfig.builder().database(url).workers(2).build()).run();
        assertEquals(0, Main.execute("status", "--database-url", url.jdbcUrlWithCredentials()));
        String text = console.output();
        assertTrue(text.contains("run 1: finished") && text.contains("merged") && text.contains("NUL_IN_TEXT"), text);
    }

    @Test
    void unreachableServerExitsThree() {
        assertEquals(3, Main.execute("status", "--database-url", "postgresql://u:hunter2@127.0.0.1:1/x"));
        assertTrue(!console.output().contains("hunter2"), console.output());
    }
}
