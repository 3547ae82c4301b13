package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.RevisionSeeder;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgbackfill.job.currentmessage.CurrentMessageJobTest.one;
import static org.pgbackfill.job.currentmessage.CurrentMessageOnlineTest.chat;

/**
 * Values the server refuses, and values the catch-up loses, never pass silently: "rejections, not aborts".
 *
 * <p>In a LATIN1 database SPEC 7 may give a value the database cannot hold (a message key U+1F600,
 * escaped in the document): upstream's chat_message lookup and UPDATE would fail on it and abort the
 * migration. The load's staging COPY, and the online catch-up's UPDATE, isolate such a value: its chat
 * is recorded in rejected_chat as VALUE_REFUSED (the value escaped in the detail, the document's
 * beginning as raw_prefix), keeps its value before the run, and every other chat of its range or batch
 * gets the reference's value. Without the isolation the range fails five times and the run aborts
 * (offline), or every finish fails on the batch (online).
 *
 * <p>The catch-up reconciles each batch before it commits: a value written that does not land (here a
 * trigger swallows the tool's updates of one chat's column, as anything between the tool and the table
 * could) fails finish, naming the chat, and nothing is stamped; with the cause gone, finish completes.
 */
class CurrentMessageRefusalTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    /** A message key only UTF-8 databases hold, as the document escapes it. */
    private static final String EMOJI = "\\ud83d\\ude00";

    private static DatabaseUrl latin1(String name) throws Exception {
        DatabaseUrl url = pg.createDatabase(name, "TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C'");
        try (Connection c = PostgresFixture.connect(url)) {
            new RevisionSeeder(GeneratorOptions.builder().seed(1).chats(0).build(), RevisionSeeder.BEFORE_CURRENT_MESSAGE).seed(url, List.of(c));
        }
        return url;
    }

    /** {@code n} ordinary chats ("p00" …), each deciding to the leaf "b" of its document. */
    private static void ordinary(Statement st, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            chat(st, String.format("p%02d", i), "nowhere", "{\"a\":{\"parentId\":null,\"timestamp\":1},\"b\":{\"parentId\":\"a\",\"timestamp\":2}}");
        }
    }

    private static void emojiChat(Statement st, String id) throws Exception {
        chat(st, id, EMOJI, "{\"" + EMOJI + "\":{\"parentId\":null,\"timestamp\":1}}");
    }

    @Test
    void aValueTheDatabaseCannotHoldIsRejectedAndTheRestOfItsRangeIsWritten() throws Exception {
        DatabaseUrl url = latin1("refused_load");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            ordinary(st, 30);
            emojiChat(st, "p10x");   // among the others: the batch is halved around it
            emojiChat(st, "p20x");
            chat(st, "latin", "\\u00e9t\\u00e9", "{\"\\u00e9t\\u00e9\":{\"parentId\":null,\"timestamp\":1}}");   // LATIN1 holds it
        }
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url);
        assertEquals("\ud83d\ude00", expected.values().get("p10x"), "the reference decides the key U+1F600");
        for (String id : new String[] {"p10x", "p20x"}) {
            expected.values().remove(id);                 // left as it was (NULL)
            expected.rejections().put(id, CurrentMessageReject.VALUE_REFUSED.name());
        }
        // one worker, one range: the refused values share their staging batch with the ordinary chats
        new Backfill(CurrentMessageJobTest.config(url, 1, null).rangesPerWorker(1).build()).run();
        CurrentMessageJobTest.assertExact(url, expected);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("été", one(st, "SELECT current_message_id FROM chat WHERE id = 'latin'"));
            assertEquals("b", one(st, "SELECT current_message_id FROM chat WHERE id = 'p15'"));
            String detail = one(st, "SELECT detail FROM pgbackfill.rejected_chat WHERE chat_id = 'p10x'");
            assertTrue(detail.contains("\"\\ud83d\\ude00\"") && detail.contains("LATIN1"), detail);
            assertTrue(one(st, "SELECT raw_prefix FROM pgbackfill.rejected_chat WHERE chat_id = 'p10x'").contains(EMOJI));
        }
        // verify counts the refused chats as rejected (the value SPEC 7 gives cannot be stored), not as mismatches
        org.pgbackfill.verify.CurrentMessageVerifier.Report verified = new org.pgbackfill.verify.CurrentMessageVerifier(
            org.pgbackfill.verify.VerifyConfig.builder().database(url).workers(1).maxMismatches(10).build()).verify();
        assertTrue(verified.matches(), verified.summary() + verified.shown());
        assertEquals(2, verified.rejected(), verified.summary());
    }

    @Test
    void theCatchUpRejectsAValueTheDatabaseCannotHoldAndPutsItsChatBack() throws Exception {
        DatabaseUrl url = latin1("refused_catchup");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            ordinary(st, 10);
        }
        Map<String, String> before = Map.of();   // the column does not exist yet
        new Backfill(CurrentMessageOnlineTest.config(url, BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("b", one(st, "SELECT current_message_id FROM chat WHERE id = 'p03'"), "merged");
            // the application saves p03 into a document whose value LATIN1 cannot hold, and adds p99 so
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"" + EMOJI + "\",\"messages\":{\"" + EMOJI
                + "\":{\"parentId\":null,\"timestamp\":1}}}}' WHERE id = 'p03'");
            emojiChat(st, "p99");
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"a\",\"messages\":{\"a\":{}}}}' WHERE id = 'p05'");
        }
        new Backfill(CurrentMessageOnlineTest.config(url, BackfillConfig.Mode.FINISH).build()).run();
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url, before);
        for (String id : new String[] {"p03", "p99"}) {
            expected.values().remove(id);
            expected.rejections().put(id, CurrentMessageReject.VALUE_REFUSED.name());
        }
        CurrentMessageJobTest.assertExact(url, expected);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals(null, one(st, "SELECT current_message_id FROM chat WHERE id = 'p03'"), "back to its value before the run");
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'p05'"), "the rest of the batch");
            assertNotNull(one(st, "SELECT raw_prefix FROM pgbackfill.rejected_chat WHERE chat_id = 'p99'"));
        }
        CurrentMessageOnlineTest.assertCaptureRemoved(url);
    }

    @Test
    void aValueTheCatchUpLosesStopsTheFinishUnstamped() throws Exception {
        DatabaseUrl url = pg.createDatabase("swallowed", "");
        try (Connection c = PostgresFixture.connect(url)) {
            new RevisionSeeder(GeneratorOptions.builder().seed(1).chats(0).build(), RevisionSeeder.BEFORE_CURRENT_MESSAGE).seed(url, List.of(c));
        }
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            ordinary(st, 5);
        }
        Map<String, String> before = Map.of();   // the column does not exist yet
        new Backfill(CurrentMessageOnlineTest.config(url, BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 'p02' AND "
                + "NEW.current_message_id IS DISTINCT FROM OLD.current_message_id THEN RETURN NULL; END IF; RETURN NEW; END $$");
            st.execute("CREATE TRIGGER swallow BEFORE UPDATE ON chat FOR EACH ROW EXECUTE FUNCTION swallow()");
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"a\",\"messages\":{\"a\":{}}}}' WHERE id IN ('p02', 'p04')");
        }
        BackfillException e = assertThrows(BackfillException.class,
            () -> new Backfill(CurrentMessageOnlineTest.config(url, BackfillConfig.Mode.FINISH).build()).run());
        assertEquals(BackfillException.Kind.RUN_FAILED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("catch-up reconciliation failed for chats [p02, p04]") && e.getMessage().contains("2 values to write, 1 written")
            && e.getMessage().contains("Nothing was stamped"), e.getMessage());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("856c5b02fb54", one(st, "SELECT version_num FROM alembic_version"), "nothing stamped");
            assertEquals("b", one(st, "SELECT current_message_id FROM chat WHERE id = 'p04'"), "the batch rolled back");
            st.execute("DROP TRIGGER swallow ON chat");
        }
        new Backfill(CurrentMessageOnlineTest.config(url, BackfillConfig.Mode.FINISH).build()).run();
        CurrentMessageJobTest.assertExact(url, CurrentMessageJobTest.expected(url, before));
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'p02'"));
        }
    }
}
