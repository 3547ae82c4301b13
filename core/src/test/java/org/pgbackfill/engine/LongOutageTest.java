package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A long outage (a minute and more) in the middle of the load; on one server version only: it takes a minute and a half. */
class LongOutageTest {
    @RegisterExtension
    PostgresFixture pg = new PostgresFixture();

    /**
     * The server is down for longer than the pool waits (70 s) while ranges are loading: the release
     * of this process's ranges after the failed round cannot reach it, and once it is back the
     * lease heartbeat used to keep those ranges leased for ever (the load then waited for ever).
     * Each round now gives them back first; the run completes, exactly.
     */
    @Test
    void aLongOutageDuringTheLoadStrandsNoRange() throws Exception {
        EmbeddedServer server = PostgresFixture.ownServer();
        DatabaseUrl url = pg.url();
        ReferenceBackfill.Expectation expected;
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            String doc = "{\"history\":{\"messages\":{\"q\":{\"role\":\"user\",\"content\":\"" + "y".repeat(2000) + "\"}}}}";
            for (int i = 0; i < 300; i++) OpenWebUiDatabase.insertChat(c, String.format("c%04d", i), "u", doc);
            expected = ReferenceBackfill.run(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        CompletableFuture<Void> outage = CompletableFuture.runAsync(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !loading(url)) Thread.sleep(100);
                server.stop(EmbeddedServer.Shutdown.IMMEDIATE);
                Thread.sleep(70_000);
                server.startAgain();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        CompletableFuture<RunReport> run = CompletableFuture.supplyAsync(() -> {
            try {
                return new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW)
                    .rangesPerWorker(20).maxRateBytesPerSecond(40_000).build()).run();   // slow, so the outage meets ranges in flight
            } catch (BackfillException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            outage.get(150, TimeUnit.SECONDS);
            assertEquals(expected.rows().size(), run.get(150, TimeUnit.SECONDS).rowsWritten());
        } finally {
            if (!server.isRunning()) server.startAgain();
        }
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
    }

    private static boolean loading(DatabaseUrl url) {
        try (Connection c = PostgresFixture.connect(url); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pgbackfill.range WHERE state = 'loading'")) {
            rs.next();
            return rs.getLong(1) > 0;
        } catch (SQLException notYet) {
            return false;
        }
    }
}
