package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgbackfill.job.currentmessage.CurrentMessageJobTest.one;

/**
 * The current_message_id job online: {@code run --online} while the old Open WebUI (856c5b02fb54)
 * writes chat and chat_message, then {@code finish}; every chat must hold what the reference computes
 * on the final tables, with each chat's column as it was before the run (the old application never
 * writes it, and upstream would see it so at the cut-over).
 */
class CurrentMessageOnlineTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    static BackfillConfig.Builder config(DatabaseUrl url, BackfillConfig.Mode mode) {
        return CurrentMessageJobTest.config(url, 2, null).mode(mode);
    }

    @Test
    void aRunWhileTheApplicationWritesBothTablesThenFinishEqualsTheReferenceOnTheFinalTables() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "online", "", 150);
        Map<String, String> before = CurrentMessageJobTest.columnValues(url);
        RunReport online;
        AppWriter writer = new AppWriter(url, 7);
        try (writer) {
            writer.start();
            // slow enough for the writer to change chats under every phase
            online = new Backfill(config(url, BackfillConfig.Mode.ONLINE).maxRateBytesPerSecond(1_000_000).build()).run();
            Thread.sleep(400);   // and the application goes on writing after the online run
        }
        writer.rethrow();
        System.out.println("online: application operations " + writer.counts());
        assertTrue(writer.fewestOfAKind() > 3, "every kind of write happened: " + writer.counts());
        assertTrue(online.phases().stream().anyMatch(p -> p.phase() == Phase.CATCH_UP), "the online run caught up");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("856c5b02fb54", one(st, "SELECT version_num FROM alembic_version"), "an online run does not stamp");
            assertEquals("2", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_current_message_%'"));
            long pending = Long.parseLong(one(st, "SELECT count(*) FROM pgbackfill.current_message_change"));
            assertTrue(pending > 0, "changes made after the online run are recorded");
            assertEquals(pending, org.pgbackfill.engine.RunStatus.read(c, "pgbackfill").pendingChanges(), "status counts them");
        }
        RunReport finish = new Backfill(config(url, BackfillConfig.Mode.FINISH).build()).run();
        assertTrue(finish.totalSeconds() < 60, "finish took " + finish.totalSeconds());
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url, before);
        CurrentMessageJobTest.assertExact(url, expected);
        System.out.println("online: " + expected.chats() + " chats at the end, " + expected.values().size() + " with a value, "
            + expected.rejections().size() + " rejected");
        assertCaptureRemoved(url);
    }

    /**
     * The ordering: a document saved (a new currentId) and a chat_message row deleted after their
     * range was read but before the merge; the merge writes the values it staged, which are stale, and the
     * catch-up that follows decides both chats again from what they hold, with the column's value before
     * the run (not the merge's) as the first candidate. Then a change after run --online and before
     * finish, and an application transaction still open at finish: finish waits for nothing longer than its
     * lock_timeout, stamps nothing, and the next finish applies it.
     */
    @Test
    void aChangeBetweenTheLoadAndTheMergeIsDecidedAgainAndFinishAppliesLaterOnes() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "ordering", "", 20);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            chat(st, "ord", "a", "{\"a\":{\"parentId\":null,\"timestamp\":1},\"b\":{\"parentId\":\"a\",\"timestamp\":2}}");
            row(st, "ord", "a", null, 1);
            row(st, "ord", "b", "ord-a", 2);
            chat(st, "ord2", "nowhere", "{}");
            row(st, "ord2", "a", null, 5);
            row(st, "ord2", "b", null, 9);
            chat(st, "ord4", "nowhere", "{}");
            row(st, "ord4", "m1", null, 5);
            row(st, "ord4", "m2", null, 9);
        }
        Map<String, String> before = CurrentMessageJobTest.columnValues(url);
        boolean[] changed = {false};
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) {
                if (phase != Phase.BUILD || changed[0]) return;
                changed[0] = true;
                try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                    assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.current_message_merge WHERE merged_chats > 0"), "before the merge");
                    assertEquals("2", one(st, "SELECT count(*) FROM pgbackfill.current_message_staging WHERE chat_id IN ('ord', 'ord2')"),
                        "both staged from the old state");
                    st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"b\",\"messages\":{}}}' WHERE id = 'ord'");
                    st.execute("DELETE FROM chat_message WHERE id = 'ord2-b'");
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            }
        }).build()).run();
        assertTrue(changed[0]);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("b", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord'"), "the new currentId, not the merge's stale 'a'");
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord2'"), "the latest leaf left");
            assertEquals("m2", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord4'"));
            assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.current_message_change"),
                "everything caught up, and the tool's own writes to the column are not recorded as changes");
            // after run --online, before finish: a new message saved, a chat deleted, a chat created
            st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) VALUES ('ord-c', 'ord', 'user', 'ord-b', 3)");
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"c\",\"messages\":{}}}' WHERE id = 'ord'");
            st.execute("DELETE FROM chat WHERE id = 'ord2'");
            chat(st, "ord5", "x", "{\"x\":{\"parentId\":null,\"timestamp\":1}}");
        }
        try (Connection app = PostgresFixture.connect(url); Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            st.execute("UPDATE chat_message SET created_at = 100 WHERE id = 'ord4-m1'");   // still open at finish
            BackfillException busy = assertThrows(BackfillException.class,
                () -> new Backfill(config(url, BackfillConfig.Mode.FINISH).lockTimeout("1s").build()).run());
            System.out.println("finish with an open application transaction: " + busy.getMessage());
            try (Connection c = PostgresFixture.connect(url); Statement s2 = c.createStatement()) {
                assertEquals("856c5b02fb54", one(s2, "SELECT version_num FROM alembic_version"), "nothing stamped");
            }
            app.commit();
        }
        new Backfill(config(url, BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("c", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord'"));
            assertEquals("m1", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord4'"), "the open transaction's change");
            assertEquals("x", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord5'"));
        }
        CurrentMessageJobTest.assertExact(url, CurrentMessageJobTest.expected(url, before));
        assertCaptureRemoved(url);
    }

    /** A rejection found by the load is cleared when the application saves the chat into something the rule decides. */
    @Test
    void aRejectedChatSavedIntoAGoodOneLosesItsRejectionAndRestartRemovesTheCapture() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "restart", "", 20);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            chat(st, "bad", "nowhere", "{\"a\":{\"parentId\":[1],\"timestamp\":1}}");   // unhashable parentId: rejected
        }
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("UNHASHABLE_PARENT_ID", one(st, "SELECT reason FROM pgbackfill.rejected_chat WHERE chat_id = 'bad'"));
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"a\",\"messages\":{\"a\":{}}}}' WHERE id = 'bad'");
        }
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).build()).run();   // run --online again: only catches up
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.rejected_chat WHERE chat_id = 'bad'"));
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'bad'"));
            assertEquals("2", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_current_message_%'"));
        }
        // --restart (offline): the capture goes, and the offline run starts from what the column holds now
        CurrentMessageJobTest.Expected offline = CurrentMessageJobTest.expected(url);
        new Backfill(config(url, BackfillConfig.Mode.OFFLINE).restart(true).build()).run();
        assertCaptureRemoved(url);
        CurrentMessageJobTest.assertExact(url, offline);
    }

    static void assertCaptureRemoved(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("0", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_%'"), "the triggers are removed");
            assertEquals("0", one(st, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'capture_current_message_%'"));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_change') IS NOT NULL)::text").substring(0, 1));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_change_version') IS NOT NULL)::text").substring(0, 1));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_before') IS NOT NULL)::text").substring(0, 1));
        }
    }

    /** A chat whose document has history.currentId {@code currentId} and history.messages {@code messages}. */
    static void chat(Statement st, String id, String currentId, String messages) throws SQLException {
        st.execute("INSERT INTO chat (id, user_id, title, chat) VALUES ('" + id + "', 'u', 't', '{\"history\":{\"currentId\":\"" + currentId
            + "\",\"messages\":" + messages + "}}')");
    }

    static void row(Statement st, String chatId, String key, String parentId, long createdAt) throws SQLException {
        st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) VALUES ('" + chatId + "-" + key + "', '" + chatId
            + "', 'user', " + (parentId == null ? "NULL" : "'" + parentId + "'") + ", " + createdAt + ")");
    }
}
