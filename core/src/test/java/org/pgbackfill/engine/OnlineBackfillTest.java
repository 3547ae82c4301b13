package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.EdgeCase;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.verify.Verifier;
import org.pgbackfill.verify.VerifyConfig;
import org.pgbackfill.verify.VerifyReport;

import java.sql.Connection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run --online} while the application writes to chat, then {@code finish}: the result must
 * be what an offline run on the final chat table produces, row by row, and verify must pass.
 */
@VersionMatrix
class OnlineBackfillTest {
    @RegisterExtension
    PostgresFixture pg = new PostgresFixture();   // a fresh database per test

    static final long NOW = 1_750_000_000L;

    /**
     * Every edge case but LONG_KEY: the reference does not model PostgreSQL's index entry limit (the
     * offline pipeline's handling of it is tested in BackfillPipelineTest).
     */
    static final Set<EdgeCase> EDGE_CASES = EnumSet.copyOf(EdgeCase.defaults());

    static {
        EDGE_CASES.remove(EdgeCase.LONG_KEY);
    }

    private void seed(long bytes, double edgeShare) throws Exception {
        try (Connection c = pg.connect(); Connection c2 = pg.connect()) {
            new ChatSeeder(GeneratorOptions.builder().seed(11).targetBytes(bytes).meanDocumentBytes(8 * 1024).edgeCaseShare(edgeShare)
                .edgeCases(EDGE_CASES).build()).seed(List.of(c, c2));
        }
    }

    private BackfillConfig.Builder config(BackfillConfig.Mode mode) {
        // small ranges and transactions, so that the load takes long enough for the writer to change chats under it
        return BackfillConfig.builder().database(pg.url()).workers(2).rangesPerWorker(8).nowEpoch(NOW).mode(mode)
            .maxTransactionRows(200).maxRateBytesPerSecond(8_000_000);
    }

    @Test
    void aRunWhileTheApplicationWritesThenFinishEqualsAnOfflineRunOnTheFinalTable() throws Exception {
        seed(12_000_000, 0.15);
        RunReport online;
        try (ChatWriter writer = new ChatWriter(pg.url(), 5, 2, GeneratorOptions.builder().meanDocumentBytes(4096).edgeCaseShare(0.2)
                .edgeCases(EDGE_CASES))
                .start()) {
            online = new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
            Thread.sleep(300);   // and the application goes on writing after the online run
            assertTrue(writer.inserts.get() > 10 && writer.updates.get() > 10 && writer.deletes.get() > 2 && writer.renames.get() > 2,
                "the writer changed chats during the run: " + writer.operations());
        }
        assertTrue(online.phases().stream().anyMatch(p -> p.phase() == Phase.CATCH_UP), "the online run caught up");
        try (Connection c = pg.connect()) {
            assertEquals("374d2f66af06", PipelineAssertions.single(c, "SELECT version_num FROM alembic_version"), "an online run does not stamp");
            assertEquals("1", PipelineAssertions.single(c, "SELECT count(*) FROM pg_trigger WHERE tgname = 'pgbackfill_capture_chat_change'"));
            assertTrue(Long.parseLong(PipelineAssertions.single(c, "SELECT count(*) FROM pgbackfill.changed_chat")) > 0,
                "changes made after the online run are recorded");
        }

        RunReport finish = new Backfill(config(BackfillConfig.Mode.FINISH).build()).run();
        assertTrue(finish.totalSeconds() < 60, "finish took " + finish.totalSeconds());
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
            assertEquals("0", PipelineAssertions.single(c, "SELECT count(*) FROM pg_trigger WHERE tgname = 'pgbackfill_capture_chat_change'"),
                "the trigger is removed");
            assertEquals("0", PipelineAssertions.single(c, "SELECT count(*) FROM pg_proc WHERE proname = 'capture_chat_change'"));
            assertEquals("f", PipelineAssertions.single(c, "SELECT to_regclass('pgbackfill.changed_chat') IS NOT NULL"));
        }
        VerifyReport v = new Verifier(VerifyConfig.builder().database(pg.url()).workers(2).build()).verify();
        assertTrue(v.matches(), v.summary() + v.mismatches());
    }

    @Test
    void modesMustFitTheUnfinishedRun() throws Exception {
        seed(1_000_000, 0);
        BackfillException none = assertThrows(BackfillException.class, () -> new Backfill(config(BackfillConfig.Mode.FINISH).build()).run());
        assertEquals(BackfillException.Kind.WRONG_MODE, none.kind());
        assertTrue(none.getMessage().contains("no unfinished online run"), none.getMessage());

        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        BackfillException offline = assertThrows(BackfillException.class, () -> new Backfill(config(BackfillConfig.Mode.OFFLINE).build()).run());
        assertEquals(BackfillException.Kind.WRONG_MODE, offline.kind());
        assertTrue(offline.nextSteps().contains(org.pgbackfill.NextStep.FINISH), offline.getMessage());

        // run --online again only catches up; --restart drops everything the online run installed
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        new Backfill(config(BackfillConfig.Mode.OFFLINE).restart(true).build()).run();
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
            assertEquals("0", PipelineAssertions.single(c, "SELECT count(*) FROM pg_trigger WHERE tgname = 'pgbackfill_capture_chat_change'"));
        }
    }

    /**
     * What the catch-up must get right on its own: a row id the application's new chat shares with
     * an existing chat (the lower chat id keeps it, as upstream), the old winner deleted (the loser
     * gets its row back), and a message key too long for an index entry (rejected, not fatal).
     */
    @Test
    void theCatchUpKeepsUpstreamsWinnerRevivesLosersAndRejectsOversizedRows() throws Exception {
        try (Connection c = pg.connect()) {
            org.pgbackfill.testing.OpenWebUiDatabase.createSchema(c);
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "m", "u", "{\"history\":{\"messages\":{\"x-y\":{\"role\":\"user\"}}}}");
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "z", "u", "{\"history\":{\"messages\":{\"q\":{\"role\":\"user\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        String random = PipelineAssertions.incompressible(9000, 5);
        try (Connection c = pg.connect()) {
            // "m-x-y" is chat m's row; chat "m-x" (lower than "m" in no collation: 'm' < 'm-x') produces "m-x" + "-" + "y" = "m-x-y"
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "m-x", "u", "{\"history\":{\"messages\":{\"y\":{\"role\":\"assistant\"}}}}");
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "long", "u", "{\"history\":{\"messages\":{\"" + random
                + "\":{\"role\":\"user\"},\"ok\":{\"role\":\"user\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = pg.connect()) {
            assertEquals("m", PipelineAssertions.single(c, "SELECT chat_id FROM chat_message WHERE id = 'm-x-y'"),
                "chat m comes first in chat id order and keeps the id");
            assertEquals("m-x|DUPLICATE_ID", PipelineAssertions.single(c, "SELECT string_agg(chat_id || '|' || reason, ',') "
                + "FROM pgbackfill.rejected_message WHERE reason = 'DUPLICATE_ID'"));
            assertEquals("long|INDEX_ROW_TOO_LARGE", PipelineAssertions.single(c, "SELECT string_agg(chat_id || '|' || reason, ',') "
                + "FROM pgbackfill.rejected_message WHERE reason = 'INDEX_ROW_TOO_LARGE'"));
            assertEquals("1", PipelineAssertions.single(c, "SELECT count(*) FROM chat_message WHERE chat_id = 'long'"), "the rest of the chat lands");
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("DELETE FROM chat WHERE id = 'm'");   // the winner goes: the loser's row is due
                st.execute("DELETE FROM chat WHERE id = 'long'");
            }
        }
        new Backfill(config(BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
            assertEquals("m-x", PipelineAssertions.single(c, "SELECT chat_id FROM chat_message WHERE id = 'm-x-y'"));
        }
    }

    /**
     * Upstream's winner of an id two chats produce is the chat first in chat's physical order
     * (SPEC 6.2), and the application moves a chat there each time it saves it: the winner the
     * catch-up chose can go stale, and finish settles it again under its lock on chat.
     */
    @Test
    void finishGivesASharedIdToTheChatFirstInChatsPhysicalOrderThen() throws Exception {
        try (Connection c = pg.connect()) {
            org.pgbackfill.testing.OpenWebUiDatabase.createSchema(c);
            // "p-q" + "-" + "r" = "p" + "-" + "q-r"; "p-q" lies first
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "p-q", "u", "{\"history\":{\"messages\":{\"r\":{\"role\":\"user\"}}}}");
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "p", "u", "{\"history\":{\"messages\":{\"q-r\":{\"role\":\"assistant\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = pg.connect(); java.sql.Statement st = c.createStatement()) {
            assertEquals("p-q", PipelineAssertions.single(c, "SELECT chat_id FROM chat_message WHERE id = 'p-q-r'"), "first in physical order");
            st.execute("UPDATE chat SET title = 'saved again' WHERE id = 'p-q'");   // a new row version, after "p"
            assertEquals("p", PipelineAssertions.single(c, "SELECT id FROM chat ORDER BY ctid LIMIT 1"));
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();   // the catch-up re-extracts p-q: it keeps its row
        new Backfill(config(BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = pg.connect()) {
            assertEquals("p", PipelineAssertions.single(c, "SELECT chat_id FROM chat_message WHERE id = 'p-q-r'"), "now first in physical order");
            assertEquals("p-q|DUPLICATE_ID", PipelineAssertions.single(c, "SELECT string_agg(chat_id || '|' || reason, ',') "
                + "FROM pgbackfill.rejected_message"));
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
        }
    }

    /**
     * Two chats of one catch-up batch produce the same long id (over the length that needs judging
     * one by one): the first in chat's order keeps it, the other is recorded, and the batch
     * reconciles (it used to count the loser nowhere, and finish could never complete).
     */
    @Test
    void twoChatsOfOneBatchSharingALongIdKeepUpstreamsWinner() throws Exception {
        try (Connection c = pg.connect()) {
            org.pgbackfill.testing.OpenWebUiDatabase.createSchema(c);
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "q", "u", "{\"history\":{\"messages\":{\"q\":{\"role\":\"user\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        String x = "x".repeat(2100);
        try (Connection c = pg.connect()) {
            // "a" + "-" + "b-xxx…" = "a-b" + "-" + "xxx…"
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "a", "u", "{\"history\":{\"messages\":{\"b-" + x + "\":{\"role\":\"user\"}}}}");
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "a-b", "u", "{\"history\":{\"messages\":{\"" + x + "\":{\"role\":\"user\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = pg.connect()) {
            assertEquals("a", PipelineAssertions.single(c, "SELECT chat_id FROM chat_message WHERE id = 'a-b-" + x + "'"));
            assertEquals("a-b|DUPLICATE_ID", PipelineAssertions.single(c, "SELECT string_agg(chat_id || '|' || reason, ',') "
                + "FROM pgbackfill.rejected_message"));
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
        }
    }

    /**
     * The catch-up reconciles each batch before it commits: rows that vanish on their way into
     * chat_message (here a trigger swallows one chat's rows, as anything between the tool and the
     * table could) fail the finish, naming the chat, and nothing is stamped; once the cause is
     * gone, finish completes exactly.
     */
    @Test
    void rowsTheCatchUpLosesStopTheFinishUnstamped() throws Exception {
        try (Connection c = pg.connect()) {
            org.pgbackfill.testing.OpenWebUiDatabase.createSchema(c);
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "a", "u", "{\"history\":{\"messages\":{\"q\":{\"role\":\"user\"}}}}");
        }
        new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = pg.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.chat_id = 'eaten' THEN RETURN NULL; END IF; RETURN NEW; END $$");
            st.execute("CREATE TRIGGER swallow BEFORE INSERT ON chat_message FOR EACH ROW EXECUTE FUNCTION swallow()");
            org.pgbackfill.testing.OpenWebUiDatabase.insertChat(c, "eaten", "u", "{\"history\":{\"messages\":{\"m1\":{\"role\":\"user\"},"
                + "\"m2\":{\"role\":\"assistant\"}}}}");
        }
        BackfillException e = assertThrows(BackfillException.class, () -> new Backfill(config(BackfillConfig.Mode.FINISH).build()).run());
        assertEquals(BackfillException.Kind.RUN_FAILED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("catch-up reconciliation failed for chats [eaten]") && e.getMessage().contains("2 rows extracted, 0 inserted")
            && e.getMessage().contains("Nothing was stamped"), e.getMessage());
        try (Connection c = pg.connect(); java.sql.Statement st = c.createStatement()) {
            assertEquals("374d2f66af06", PipelineAssertions.single(c, "SELECT version_num FROM alembic_version"), "nothing stamped");
            st.execute("DROP TRIGGER swallow ON chat_message");
        }
        new Backfill(config(BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, ReferenceBackfill.run(c, NOW), "pgbackfill");
        }
    }

    /**
     * Installing the capture must not hold up the application for more than a moment: while a long
     * transaction of the application writes to chat, CREATE TRIGGER cannot get its lock, and the
     * application's other saves queue behind it only until its lock_timeout (1 s) gives up; the
     * install is retried once the long transaction ends.
     */
    @Test
    void installingTheCaptureHoldsUpTheApplicationOnlyForAMoment() throws Exception {
        seed(1_000_000, 0);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (Connection longTx = pg.connect(); Connection app = pg.connect()) {
            String[] ids = PipelineAssertions.single(longTx, "SELECT string_agg(id, ',') FROM (SELECT id FROM chat ORDER BY id LIMIT 2) x").split(",");
            longTx.setAutoCommit(false);
            try (java.sql.Statement st = longTx.createStatement()) {
                st.executeUpdate("UPDATE chat SET title = 'busy' WHERE id = '" + ids[0] + "'");   // ROW EXCLUSIVE on chat, held
            }
            java.util.concurrent.Future<RunReport> run = pool.submit(() -> new Backfill(config(BackfillConfig.Mode.ONLINE).build()).run());
            Thread.sleep(500);   // CREATE TRIGGER is now queued behind the long transaction
            long t0 = System.nanoTime();
            try (java.sql.Statement st = app.createStatement()) {
                st.executeUpdate("UPDATE chat SET title = 'saved' WHERE id = '" + ids[1] + "'");
            }
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(waited < 3, "an application save waited " + waited + " s behind the install (lock_timeout is 1 s)");
            Thread.sleep(3_000 - (long) (waited * 1000));
            assertTrue(!run.isDone(), "the install waits for the long transaction");
            longTx.commit();
            run.get();
            assertEquals("1", PipelineAssertions.single(app, "SELECT count(*) FROM pg_trigger WHERE tgname = 'pgbackfill_capture_chat_change'"));
        } finally {
            pool.shutdownNow();
        }
    }
}
